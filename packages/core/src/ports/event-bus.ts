import { z } from 'zod';
import { internalError, userError } from '../errors.ts';
import type { RunEvent } from '../protocol/events.ts';

/**
 * A control message for the process advancing a run. Signals are prompt hints: the store keeps the
 * truth (a cancelled run is cancelled in the store), the signal only saves the advancing process from
 * noticing it late.
 */
export const RunSignal = z.discriminatedUnion('type', [
  /** Stop advancing the run now: abort in-flight tools, start no new step. */
  z.object({ type: z.literal('cancel'), reason: z.string().optional() }),
  /** Something the run waits for may have happened (approval, input, children, a timer): look again. */
  z.object({ type: z.literal('wake') }),
]);
/** A run signal. */
export type RunSignal = z.infer<typeof RunSignal>;

/**
 * Reads a run's stored events with `seq > afterSeq`, in `seq` order, at most `limit` of them, within
 * one organization (another organization's run has no events). Adapters are built with one; it is
 * where the bus meets the store, the source of truth.
 */
export type StoredEventReader = (read: {
  orgId: string;
  runId: string;
  afterSeq: number;
  limit: number;
}) => Promise<RunEvent[]>;

/** What a subscriber asks for. */
export interface SubscribeRequest {
  /** The subscriber's organization: stored events are read within it. */
  orgId: string;
  runId: string;
  /** The last `seq` the subscriber already has (`0` for everything; an SSE `Last-Event-ID`). */
  afterSeq: number;
  /** Called once per event, in order; a throw ends the subscription, and the error goes to `onError`. */
  onEvent(event: RunEvent): void;
  /**
   * Called at most once, when the subscription ends by failure: the store could not be read, had a
   * gap or lacked an event the bus announced, the transport refused the subscription, or `onEvent`
   * threw. Nothing is delivered afterwards; resubscribe after the last `seq` seen.
   * @default the failure ends the subscription silently
   */
  onError?(error: unknown): void;
}

/** A live subscription. */
export interface Subscription {
  /** Stops delivery; once it resolves, `onEvent` is not called again. Idempotent. */
  close(): Promise<void>;
}

/** Receives signals for every run; filter by `runId`. */
export type SignalHandler = (runId: string, message: RunSignal) => void;

/**
 * Fans a run's events out from the process advancing it to every process streaming it, and carries
 * control signals between processes. The store stays the source of truth: the bus may lose a live
 * message, a subscriber never loses an event, because it reads what it missed from the store.
 */
export interface EventBus {
  /**
   * Announces events of one run: the committed events of a step right after its commit (with their
   * `seq`), and ephemeral `text-delta`s (`seq: 0`) as they stream. Never throws into the caller for a
   * transport failure; an adapter drops what it cannot send (subscribers catch up from the store).
   */
  publish(events: readonly RunEvent[]): Promise<void>;
  /**
   * Streams a run's events. The subscriber first receives every stored event with `seq > afterSeq`
   * (read from the store page by page), then live events, in strictly increasing `seq` with no gap and
   * no duplicate. Live events that arrive while stored ones are read are buffered and merged (dedup by
   * `seq`); a live event beyond the next expected `seq` (a lost message) makes the subscriber read the
   * missing range from the store before delivering it. Ephemeral events (`seq === 0`) are delivered
   * only live, in arrival order, never replayed.
   */
  subscribe(request: SubscribeRequest): Subscription;
  /** Sends a control message to whichever process advances the run (every `onSignal` handler). */
  signal(runId: string, message: RunSignal): Promise<void>;
  /** Registers a handler for signals of every run; returns its removal. */
  onSignal(handler: SignalHandler): () => void;
  /** Ends every subscription and releases the transport; later calls to `subscribe` throw. */
  close(): Promise<void>;
}

/** Options for {@link createRunEventFeed}. */
export interface RunEventFeedOptions {
  request: SubscribeRequest;
  readEvents: StoredEventReader;
  /** The `limit` of each store read. @default 500 */
  pageSize?: number;
  /** Called once when the feed ends, closed or failed, so the adapter can drop its live listener. */
  onEnd?: () => void;
}

/**
 * The ordering behind one subscription, shared by every adapter: an adapter puts its live listener in
 * place, then calls `catchUp()`, and hands every live event of the run to `push()`.
 */
export interface RunEventFeed {
  readonly runId: string;
  /**
   * Reads the store after the last delivered `seq`. Call it once the live listener is in place (not
   * before: a commit between the read and the listener would be missed), and again whenever live
   * messages may have been lost (a reconnect). Nothing is delivered before the first call.
   */
  catchUp(): void;
  /** Hands over a live event, stored (`seq > 0`) or ephemeral. */
  push(event: RunEvent): void;
  /** Ends the feed because its transport failed; `onError` receives `error`. */
  fail(error: unknown): void;
  /** Ends the feed; resolves once no delivery is in progress. */
  close(): Promise<void>;
}

type FeedItem = { kind: 'catch-up' } | { kind: 'live'; event: RunEvent };

/** Builds the ordered feed of one subscription; see {@link EventBus.subscribe} for the guarantee. */
export function createRunEventFeed(options: RunEventFeedOptions): RunEventFeed {
  const { request, readEvents } = options;
  const { runId } = request;
  const pageSize = options.pageSize ?? 500;
  if (!Number.isInteger(request.afterSeq) || request.afterSeq < 0) {
    throw userError('invalid_input', `afterSeq must be a non-negative integer, got ${request.afterSeq}`);
  }
  let lastSeq = request.afterSeq;
  let started = false;
  let ended = false;
  let running = false;
  let draining: Promise<void> = Promise.resolve();
  const queue: FeedItem[] = [];

  const end = (): void => {
    ended = true;
    queue.length = 0;
    options.onEnd?.();
  };
  const fail = (error: unknown): void => {
    if (ended) return;
    end();
    request.onError?.(error);
  };
  const deliver = (event: RunEvent): void => {
    if (ended) return;
    if (event.seq > 0) lastSeq = event.seq;
    request.onEvent(event);
  };

  /** Reads and delivers stored events after `lastSeq`, through `untilSeq` or to the end of the log. */
  const readStored = async (untilSeq: number): Promise<void> => {
    while (!ended && lastSeq < untilSeq) {
      const limit = Math.min(pageSize, untilSeq - lastSeq);
      const page = await readEvents({ orgId: request.orgId, runId, afterSeq: lastSeq, limit });
      for (const event of page) {
        if (ended || event.seq <= lastSeq) continue;
        if (event.seq !== lastSeq + 1) {
          throw internalError(`run ${runId}: the store skipped from seq ${lastSeq} to ${event.seq}`);
        }
        deliver(event);
      }
      if (page.length < limit) return;
    }
  };

  const accept = async (item: FeedItem): Promise<void> => {
    if (item.kind === 'catch-up') return readStored(Number.POSITIVE_INFINITY);
    const { event } = item;
    if (event.seq === 0) return deliver(event);
    // Already delivered: read from the store first, or announced twice.
    if (event.seq <= lastSeq) return;
    if (event.seq > lastSeq + 1) {
      // A live message was lost: the store has everything this event's commit made visible.
      await readStored(event.seq - 1);
      if (!ended && lastSeq < event.seq - 1) {
        throw internalError(`run ${runId}: seq ${event.seq} was announced but the store stops at ${lastSeq}`);
      }
    }
    deliver(event);
  };

  const drain = async (): Promise<void> => {
    try {
      for (let item = queue.shift(); item && !ended; item = queue.shift()) await accept(item);
    } catch (error) {
      fail(error);
    } finally {
      // Reset in the same turn that found the queue empty, so a push right after starts a new drain.
      running = false;
    }
  };
  const schedule = (): void => {
    if (!started || ended || running || queue.length === 0) return;
    running = true;
    draining = drain();
  };

  return {
    runId,
    catchUp() {
      if (ended) return;
      // One pending catch-up reads everything; reconnect storms must not pile them up.
      if (!started) queue.unshift({ kind: 'catch-up' });
      else if (queue.at(-1)?.kind !== 'catch-up') queue.push({ kind: 'catch-up' });
      started = true;
      schedule();
    },
    push(event) {
      if (ended || event.runId !== runId) return;
      queue.push({ kind: 'live', event });
      schedule();
    },
    fail,
    async close() {
      if (!ended) end();
      await draining;
    },
  };
}
