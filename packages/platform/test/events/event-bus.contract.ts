/** The EventBus contract: every adapter (in-process, Redis) must pass it. */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type {
  EventBus,
  EventPayload,
  RunEvent,
  RunSignal,
  StoredEventReader,
  Subscription,
} from '@autonoma/core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

/** The buses of one test: a publishing process and a subscribing one (the same bus in-process). */
export interface EventBusHarness {
  publisher: EventBus;
  subscriber: EventBus;
  close(): Promise<void>;
}

/** How the contract builds an adapter. */
export interface EventBusFixture {
  name: string;
  /** Interleavings tried by the race test (each runs four runs side by side). */
  raceIterations: number;
  /** Fails loudly when the adapter's transport is missing. */
  setup?: () => Promise<void>;
  open(options: { readEvents: StoredEventReader; pageSize: number }): Promise<EventBusHarness>;
}

/** A deterministic pseudo-random source (mulberry32), so a failing interleaving can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const between = (random: () => number, low: number, high: number): number =>
  low + Math.floor(random() * (high - low + 1));

async function turns(count: number): Promise<void> {
  for (let index = 0; index < count; index += 1) await nextTurn();
}

let runCounter = 0;
/** A run id unique to this process. */
export const uniqueRunId = (label = 'run'): string => `${label}-${process.pid}-${(runCounter += 1)}`;

/**
 * A store reduced to what the bus needs: committed events per run with gapless seqs, and the reader.
 * Reads take their snapshot and return after a few event-loop turns, so commits race them.
 */
export class FakeEventStore {
  readonly #logs = new Map<string, RunEvent[]>();
  readonly #broken = new Set<string>();
  #held: Promise<void> | undefined;
  #now = 1_000;
  /** The largest `limit` a reader call asked for. */
  largestLimit = 0;
  /** Reader calls, to see a held read start. */
  reads = 0;

  readonly #latency: () => number;

  /** `latency` draws how many event-loop turns a read waits before and after its snapshot. */
  constructor(latency: () => number = () => 0) {
    this.#latency = latency;
  }

  /** Appends events as one commit and returns them with their seqs. */
  commit(runId: string, payloads: EventPayload[]): RunEvent[] {
    const log = this.#logs.get(runId) ?? [];
    this.#logs.set(runId, log);
    const events = payloads.map((payload, index) => ({
      ...payload,
      runId,
      seq: log.length + 1 + index,
      at: this.#now++,
    }));
    log.push(...events);
    return events;
  }

  lastSeq(runId: string): number {
    return this.#logs.get(runId)?.length ?? 0;
  }

  /** Makes every read of the run fail until the returned function is called. */
  breakReads(runId: string): () => void {
    this.#broken.add(runId);
    return () => this.#broken.delete(runId);
  }

  /** Holds every read until the returned function is called. */
  holdReads(): () => void {
    let release = (): void => undefined;
    this.#held = new Promise((resolve) => {
      release = resolve;
    });
    return () => {
      this.#held = undefined;
      release();
    };
  }

  readonly readEvents: StoredEventReader = async ({ runId, afterSeq, limit }) => {
    this.reads += 1;
    this.largestLimit = Math.max(this.largestLimit, limit);
    await this.#held;
    await turns(this.#latency());
    if (this.#broken.has(runId)) throw new Error(`store unavailable for ${runId}`);
    const page = (this.#logs.get(runId) ?? [])
      .slice(afterSeq, afterSeq + limit)
      .map((event) => ({ ...event }));
    await turns(this.#latency());
    return page;
  };
}

/** One step's worth of stored payloads. */
export const steps = (from: number, count: number): EventPayload[] =>
  Array.from({ length: count }, (_, index) => ({ type: 'step-start', step: from + index }));

/** A `text-delta` as the loop streams it. */
export const textDelta = (runId: string, delta: string): RunEvent => ({
  type: 'text-delta',
  step: 1,
  delta,
  runId,
  seq: 0,
  at: 0,
});

/** Commits `count` events as one step and publishes them, as the advancing process does. */
export async function commitAndPublish(
  bus: EventBus,
  store: FakeEventStore,
  runId: string,
  count = 1,
): Promise<RunEvent[]> {
  const events = store.commit(runId, steps(store.lastSeq(runId) + 1, count));
  await bus.publish(events);
  return events;
}

/** What one subscription received. */
export interface Collected {
  events: RunEvent[];
  errors: unknown[];
  subscription: Subscription;
  /** Seqs received, ephemeral events as 0. */
  seqs(): number[];
  /** The last stored seq received. */
  lastSeq(): number;
}

/** Subscribes and records everything delivered. */
export function collect(bus: EventBus, runId: string, afterSeq = 0): Collected {
  const events: RunEvent[] = [];
  const errors: unknown[] = [];
  const subscription = bus.subscribe({
    orgId: 'org_test',
    runId,
    afterSeq,
    onEvent: (event) => events.push(event),
    onError: (error) => errors.push(error),
  });
  return {
    events,
    errors,
    subscription,
    seqs: () => events.map((event) => event.seq),
    lastSeq: () => events.findLast((event) => event.seq > 0)?.seq ?? afterSeq,
  };
}

/** Polls until `condition` holds; fails with `what` and the state after the deadline. */
export async function waitFor(
  condition: () => boolean,
  what: () => string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Waits until the subscription has received stored events through `seq`. */
export const waitForSeq = (collected: Collected, seq: number): Promise<void> =>
  waitFor(
    () => collected.lastSeq() >= seq || collected.errors.length > 0,
    () => `seq ${seq}; received [${collected.seqs().join(',')}], errors ${String(collected.errors)}`,
  );

/** The integers `from` through `to`. */
export const range = (from: number, to: number): number[] =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, index) => from + index);

/** Registers the EventBus contract under `EventBus [name]`. */
export function describeEventBusContract(fixture: EventBusFixture): void {
  describe(`EventBus [${fixture.name}]`, () => {
    const opened: EventBusHarness[] = [];
    const open = async (store: FakeEventStore, pageSize = 4): Promise<EventBusHarness> => {
      const harness = await fixture.open({ readEvents: store.readEvents, pageSize });
      opened.push(harness);
      return harness;
    };
    if (fixture.setup) beforeAll(fixture.setup);
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((harness) => harness.close()));
    });

    it('delivers stored then live events with no gap and no duplicate while commits race the subscription', async () => {
      const seed = Number(process.env['EVENT_BUS_SEED'] ?? Date.now() % 2 ** 31);
      console.info(`EventBus [${fixture.name}] race seed ${seed} (replay with EVENT_BUS_SEED=${seed})`);
      const random = seededRandom(seed);
      const store = new FakeEventStore(() => between(random, 0, 2));
      const { publisher, subscriber } = await open(store, 3);

      const raceOnce = async (iteration: number): Promise<void> => {
        const runId = uniqueRunId('race');
        for (let index = between(random, 0, 6); index > 0; index -= 1) {
          await commitAndPublish(publisher, store, runId, between(random, 1, 2));
        }
        const writer = (async () => {
          for (let left = between(random, 1, 10); left > 0; left -= 1) {
            await turns(between(random, 0, 3));
            const events = store.commit(runId, steps(1, between(random, 1, 3)));
            // Now and then a live message is lost; the last one always goes out.
            if (left === 1 || random() > 0.15) await publisher.publish(events);
          }
        })();
        await turns(between(random, 0, 4));
        const collected = collect(subscriber, runId);
        await writer;
        await waitForSeq(collected, store.lastSeq(runId));
        const context = `seed ${seed}, iteration ${iteration}, run ${runId}`;
        expect(collected.errors, context).toEqual([]);
        expect(collected.seqs(), context).toEqual(range(1, store.lastSeq(runId)));
        await collected.subscription.close();
      };

      for (let iteration = 0; iteration < fixture.raceIterations; iteration += 1) {
        await Promise.all([0, 1, 2, 3].map(() => raceOnce(iteration)));
      }
      expect(store.largestLimit).toBeLessThanOrEqual(3);
    });

    it('resumes exactly after afterSeq, reading the store page by page', async () => {
      const store = new FakeEventStore();
      const { publisher, subscriber } = await open(store, 4);
      const runId = uniqueRunId();
      for (let index = 0; index < 10; index += 1) await commitAndPublish(publisher, store, runId);

      const middle = collect(subscriber, runId, 4);
      await waitForSeq(middle, 10);
      await commitAndPublish(publisher, store, runId, 2);
      await waitForSeq(middle, 12);
      expect(middle.seqs()).toEqual(range(5, 12));

      const atEnd = collect(subscriber, runId, 12);
      // A subscriber with nothing to read becomes live once a second, earlier one sees the next commit.
      await commitAndPublish(publisher, store, runId);
      await waitForSeq(atEnd, 13);
      await waitForSeq(middle, 13);
      expect(atEnd.seqs()).toEqual([13]);
      expect(middle.seqs()).toEqual(range(5, 13));
      expect([...middle.errors, ...atEnd.errors]).toEqual([]);
      expect(store.largestLimit).toBeLessThanOrEqual(4);
    });

    it('delivers ephemeral events live, in arrival order, and never replays them', async () => {
      const store = new FakeEventStore();
      const { publisher, subscriber } = await open(store);
      const runId = uniqueRunId();
      const early = collect(subscriber, runId);
      await commitAndPublish(publisher, store, runId);
      // Once a subscriber has an event, its live listener is in place (it catches up only after that).
      await waitForSeq(early, 1);
      await publisher.publish([textDelta(runId, 'hel')]);
      await commitAndPublish(publisher, store, runId);
      await waitForSeq(early, 2);

      const late = collect(subscriber, runId);
      await waitForSeq(late, 2);
      await publisher.publish([textDelta(runId, 'lo')]);
      await commitAndPublish(publisher, store, runId);
      await waitForSeq(early, 3);
      await waitForSeq(late, 3);

      const shape = (collected: Collected): string[] =>
        collected.events.map((event) => (event.type === 'text-delta' ? event.delta : String(event.seq)));
      expect(shape(early)).toEqual(['1', 'hel', '2', 'lo', '3']);
      expect(shape(late)).toEqual(['1', '2', 'lo', '3']);
    });

    it('recovers live messages that were lost from the store when the next one arrives', async () => {
      const store = new FakeEventStore();
      const { publisher, subscriber } = await open(store, 2);
      const runId = uniqueRunId();
      const collected = collect(subscriber, runId);
      await commitAndPublish(publisher, store, runId);
      await waitForSeq(collected, 1);
      store.commit(runId, steps(2, 1));
      store.commit(runId, steps(3, 3));
      await commitAndPublish(publisher, store, runId);
      await waitForSeq(collected, 6);
      expect(collected.seqs()).toEqual(range(1, 6));
      expect(collected.errors).toEqual([]);
    });

    it('serves several subscribers of one run and keeps runs apart', async () => {
      const store = new FakeEventStore();
      const { publisher, subscriber } = await open(store);
      const [left, right] = [uniqueRunId('left'), uniqueRunId('right')];
      await commitAndPublish(publisher, store, left);
      const first = collect(subscriber, left);
      const second = collect(subscriber, left);
      const other = collect(subscriber, right);
      for (let index = 0; index < 5; index += 1) {
        await commitAndPublish(publisher, store, left);
        await commitAndPublish(publisher, store, right, 2);
      }
      await Promise.all([waitForSeq(first, 6), waitForSeq(second, 6), waitForSeq(other, 10)]);
      expect(first.seqs()).toEqual(range(1, 6));
      expect(second.seqs()).toEqual(range(1, 6));
      expect(other.seqs()).toEqual(range(1, 10));
      expect(first.events.every((event) => event.runId === left)).toBe(true);
      expect(other.events.every((event) => event.runId === right)).toBe(true);
    });

    it('stops delivering once a subscription is closed', async () => {
      const store = new FakeEventStore();
      const { publisher, subscriber } = await open(store);
      const runId = uniqueRunId();
      const closing = collect(subscriber, runId);
      const witness = collect(subscriber, runId);
      await commitAndPublish(publisher, store, runId);
      await Promise.all([waitForSeq(closing, 1), waitForSeq(witness, 1)]);
      await closing.subscription.close();
      await closing.subscription.close();
      await commitAndPublish(publisher, store, runId, 2);
      await publisher.publish([textDelta(runId, 'after close')]);
      await commitAndPublish(publisher, store, runId);
      await waitForSeq(witness, 4);
      expect(closing.seqs()).toEqual([1]);
      expect(witness.seqs()).toEqual([1, 2, 3, 0, 4]);
    });

    it('delivers nothing when closed while it is still reading the store', async () => {
      const store = new FakeEventStore();
      const { publisher, subscriber } = await open(store);
      const runId = uniqueRunId();
      await commitAndPublish(publisher, store, runId, 3);
      const release = store.holdReads();
      const readsBefore = store.reads;
      const collected = collect(subscriber, runId);
      await waitFor(
        () => store.reads > readsBefore,
        () => 'the catch-up read to start',
      );
      const closed = collected.subscription.close();
      release();
      await closed;
      await commitAndPublish(publisher, store, runId);
      const witness = collect(subscriber, runId);
      await waitForSeq(witness, 4);
      expect(collected.events).toEqual([]);
      expect(collected.errors).toEqual([]);

      // The same while it reads a range it missed: the event that revealed the gap is not delivered.
      const gapped = collect(subscriber, runId);
      await waitForSeq(gapped, 4);
      store.commit(runId, steps(5, 1));
      const releaseGap = store.holdReads();
      const readsBeforeGap = store.reads;
      await commitAndPublish(publisher, store, runId);
      await waitFor(
        () => store.reads > readsBeforeGap,
        () => 'the read of the missed range to start',
      );
      const closedInGap = gapped.subscription.close();
      releaseGap();
      await closedInGap;
      await waitForSeq(witness, 6);
      expect(gapped.seqs()).toEqual([1, 2, 3, 4]);
      expect(witness.seqs()).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('ends a subscription with onError when the store cannot be read or onEvent throws, and rejects a bad afterSeq', async () => {
      const store = new FakeEventStore();
      const { publisher, subscriber } = await open(store);
      const runId = uniqueRunId('broken');
      await commitAndPublish(publisher, store, runId);
      const repair = store.breakReads(runId);
      const failed = collect(subscriber, runId);
      await waitFor(
        () => failed.errors.length > 0,
        () => 'the read failure to reach onError',
      );
      repair();
      const witness = collect(subscriber, runId);
      await waitForSeq(witness, 1);
      await commitAndPublish(publisher, store, runId);
      await waitForSeq(witness, 2);
      expect(failed.errors).toHaveLength(1);
      expect(String(failed.errors[0])).toContain('store unavailable');
      expect(failed.events).toEqual([]);
      expect(witness.seqs()).toEqual([1, 2]);

      const thrown: unknown[] = [];
      const seen: number[] = [];
      subscriber.subscribe({
        orgId: 'org_test',
        runId,
        afterSeq: 0,
        onEvent: (event) => {
          seen.push(event.seq);
          if (event.seq === 2) throw new Error('the client went away');
        },
        onError: (error) => thrown.push(error),
      });
      await waitFor(
        () => thrown.length > 0,
        () => 'the throw of onEvent to reach onError',
      );
      await commitAndPublish(publisher, store, runId);
      await waitForSeq(witness, 3);
      expect(seen).toEqual([1, 2]);
      expect(String(thrown)).toContain('the client went away');
      expect(() => collect(subscriber, runId, -1)).toThrow(/afterSeq/);
    });

    it('carries signals to every onSignal handler until it is removed', async () => {
      const store = new FakeEventStore();
      const { publisher, subscriber } = await open(store);
      const kept: Array<[string, RunSignal]> = [];
      const removed: Array<[string, RunSignal]> = [];
      subscriber.onSignal((runId, message) => kept.push([runId, message]));
      const remove = subscriber.onSignal((runId, message) => removed.push([runId, message]));
      // Pub/sub reaches only listeners already in place: wake until the handlers are known to listen.
      const deadline = Date.now() + 30_000;
      while (!kept.some(([runId]) => runId === 'handshake')) {
        if (Date.now() > deadline) throw new Error('no signal reached the handler within 30 s');
        await publisher.signal('handshake', { type: 'wake' });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const forRun = (received: Array<[string, RunSignal]>, runId: string): RunSignal[] =>
        received.filter(([id]) => id === runId).map(([, message]) => message);

      const runId = uniqueRunId();
      await publisher.signal(runId, { type: 'cancel', reason: 'the user asked' });
      await waitFor(
        () => forRun(kept, runId).length > 0 && forRun(removed, runId).length > 0,
        () => 'the cancel to reach both handlers',
      );
      expect(forRun(kept, runId)).toEqual([{ type: 'cancel', reason: 'the user asked' }]);
      expect(forRun(removed, runId)).toEqual([{ type: 'cancel', reason: 'the user asked' }]);

      remove();
      await publisher.signal(runId, { type: 'wake' });
      await waitFor(
        () => forRun(kept, runId).length > 1,
        () => 'the wake to reach the kept handler',
      );
      expect(forRun(kept, runId)).toEqual([{ type: 'cancel', reason: 'the user asked' }, { type: 'wake' }]);
      expect(forRun(removed, runId)).toHaveLength(1);
    });

    it('refuses new subscriptions once closed', async () => {
      const store = new FakeEventStore();
      const { subscriber } = await open(store);
      const runId = uniqueRunId();
      const collected = collect(subscriber, runId);
      await subscriber.close();
      expect(() => collect(subscriber, runId)).toThrow(/closed/);
      expect(collected.errors).toEqual([]);
    });
  });
}
