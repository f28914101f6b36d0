import {
  EventPayload,
  RunSignal,
  createRunEventFeed,
  dependencyError,
  internalError,
  type EventBus,
  type RunEvent,
  type RunEventFeed,
  type SignalHandler,
  type StoredEventReader,
} from '@autonoma/core';
import { Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';
import type { EventBusLogger } from './local-event-bus.ts';

/** Options for {@link createRedisEventBus}. */
export interface RedisEventBusOptions {
  /** `redis://…` URL. */
  url: string;
  /** Reads a run's stored events; subscribers catch up through it. */
  readEvents: StoredEventReader;
  /** Prefix of every channel, so several deployments can share one Redis. @default 'autonoma:' */
  channelPrefix?: string;
  /**
   * How long `publish` and `signal` wait for Redis before giving up. Once one has given up, later ones
   * give up at once until the connection is back, so an outage never slows every step. @default 2000
   */
  publishTimeoutMs?: number;
  /** The `limit` of each store read. @default 500 */
  pageSize?: number;
  /** Receives connection losses and dropped messages. @default no logging */
  logger?: EventBusLogger;
}

const WireEvents = z.array(
  z.intersection(
    EventPayload,
    z.object({ runId: z.string(), seq: z.number().int().nonnegative(), at: z.number() }),
  ),
);
const WireSignal = z.object({ runId: z.string(), message: RunSignal });

/** Runs whose last dropped event is kept for re-announcing; beyond it the oldest are forgotten. */
const maxRememberedRuns = 1000;

/** Reconnects quickly at first, then every 2 s, with jitter so replicas do not reconnect in step. */
const retryStrategy = (attempt: number): number =>
  Math.min(50 * 2 ** (attempt - 1), 2000) + Math.floor(Math.random() * 100);

/** What the bus tracks per run it listens to. */
interface RunChannel {
  feeds: Set<RunEventFeed>;
  /** Settles once Redis confirmed the SUBSCRIBE: rejected when it failed. */
  subscribed: Promise<void>;
}

/**
 * The cluster event bus: Redis pub/sub with one publisher and one subscriber connection per bus, a
 * channel per run (`<prefix>run:<runId>`, a JSON array of events) and one control channel
 * (`<prefix>control`, `{ runId, message }`). Redis holds no truth: a subscriber re-reads the store
 * after every reconnect, and a publisher drops what Redis cannot take (see `docs/events.md`).
 */
export function createRedisEventBus(options: RedisEventBusOptions): EventBus {
  const prefix = options.channelPrefix ?? 'autonoma:';
  const runPrefix = `${prefix}run:`;
  const controlChannel = `${prefix}control`;
  const publishTimeoutMs = options.publishTimeoutMs ?? 2000;
  const logger = options.logger;
  const common: RedisOptions = { lazyConnect: true, retryStrategy, connectTimeout: publishTimeoutMs };
  // Fail fast: a command Redis cannot take now is dropped by us, not queued for a later replay.
  const publisher = new Redis(options.url, {
    ...common,
    connectionName: 'autonoma-events-publish',
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
  });
  // Never give up a SUBSCRIBE; after a reconnect we resubscribe ourselves, then catch up from the store.
  const subscriber = new Redis(options.url, {
    ...common,
    connectionName: 'autonoma-events-subscribe',
    maxRetriesPerRequest: null,
    autoResubscribe: false,
  });
  const runs = new Map<string, RunChannel>();
  const signalHandlers = new Set<SignalHandler>();
  const readyWaiters = new Set<(ready: boolean) => void>();
  const timers = new Set<() => void>();
  const dropped = new Map<string, RunEvent>();
  let droppedMessages = 0;
  let publisherDown = false;
  let listeningForSignals = false;
  let closed = false;

  watchConnection(publisher, 'publish');
  watchConnection(subscriber, 'subscribe');

  function watchConnection(client: Redis, role: string): void {
    let lastError = '';
    let lost = false;
    client.on('error', (error: Error) => {
      lastError = error.message;
    });
    client.on('close', () => {
      if (closed || lost) return;
      lost = true;
      logger?.warn({ role, error: lastError || undefined }, 'event bus lost its Redis connection');
    });
    client.on('ready', () => {
      if (!lost) return;
      lost = false;
      logger?.info({ role }, 'event bus reconnected to Redis');
    });
  }

  // ---- publishing ----

  /** Resolves false after `ms`, or at once when the bus closes; `clear` drops the timer. */
  const expiry = (ms: number): { expired: Promise<false>; clear: () => void } => {
    let clear = (): void => undefined;
    const expired = new Promise<false>((resolve) => {
      const expire = (): void => {
        clear();
        resolve(false);
      };
      const timer = setTimeout(expire, ms);
      clear = () => {
        clearTimeout(timer);
        timers.delete(expire);
      };
      timers.add(expire);
    });
    return { expired, clear };
  };

  /** Resolves true when the publisher is ready, false when the bus closes first. */
  const publisherReady = (): { ready: Promise<boolean>; forget: () => void } => {
    let settle = (_ready: boolean): void => undefined;
    const ready = new Promise<boolean>((resolve) => {
      settle = resolve;
      readyWaiters.add(resolve);
    });
    return { ready, forget: () => readyWaiters.delete(settle) };
  };

  /** Publishes one message within `publishTimeoutMs`; false when Redis did not take it. */
  const send = async (channel: string, message: string): Promise<boolean> => {
    if (closed) return false;
    const deadline = expiry(publishTimeoutMs);
    try {
      if (publisher.status !== 'ready') {
        if (publisherDown) return false;
        if (publisher.status === 'wait') publisher.connect().catch(() => undefined);
        const waiter = publisherReady();
        const ready = await Promise.race([waiter.ready, deadline.expired]);
        waiter.forget();
        if (!ready) {
          publisherDown = !closed;
          return false;
        }
      }
      const published = publisher.publish(channel, message).then(
        () => true,
        () => false,
      );
      return await Promise.race([published, deadline.expired]);
    } finally {
      deadline.clear();
    }
  };

  /** Keeps the run's newest dropped stored event, to re-announce it when Redis is back. */
  const remember = (runId: string, events: readonly RunEvent[]): void => {
    droppedMessages += 1;
    if (droppedMessages === 1) logger?.warn({ runId }, 'event bus is dropping messages Redis cannot take');
    const newest = events.findLast((event) => event.seq > 0);
    const known = dropped.get(runId);
    if (!newest || (known && known.seq >= newest.seq)) return;
    dropped.delete(runId);
    dropped.set(runId, newest);
    const oldest = dropped.keys().next();
    if (dropped.size > maxRememberedRuns && !oldest.done) dropped.delete(oldest.value);
  };

  const announce = async (runId: string, events: readonly RunEvent[]): Promise<void> => {
    if (!(await send(`${runPrefix}${runId}`, JSON.stringify(events)))) remember(runId, events);
  };

  // A subscriber that missed the tail of a run learns of it here: the re-announced event is either a
  // duplicate it drops or a gap it fills from the store.
  publisher.on('ready', () => {
    publisherDown = false;
    for (const settle of [...readyWaiters]) settle(true);
    if (droppedMessages > 0) logger?.warn({ droppedMessages }, 'event bus dropped messages during an outage');
    droppedMessages = 0;
    const pending = [...dropped];
    dropped.clear();
    for (const [runId, event] of pending) void announce(runId, [event]);
  });

  // ---- subscribing ----

  const listen = (channel: string): Promise<void> => subscriber.subscribe(channel).then(() => undefined);

  const receiveEvents = (runId: string, message: string): void => {
    const run = runs.get(runId);
    if (!run) return;
    const parsed = WireEvents.safeParse(parseJson(message));
    if (!parsed.success) {
      logger?.warn({ runId }, 'event bus ignored a malformed event message');
      return;
    }
    for (const event of parsed.data) for (const feed of [...run.feeds]) feed.push(event);
  };

  const receiveSignal = (message: string): void => {
    const parsed = WireSignal.safeParse(parseJson(message));
    if (!parsed.success) {
      logger?.warn({}, 'event bus ignored a malformed signal');
      return;
    }
    for (const handler of [...signalHandlers]) {
      try {
        handler(parsed.data.runId, parsed.data.message);
      } catch (error) {
        logger?.warn({ runId: parsed.data.runId, err: error }, 'signal handler failed');
      }
    }
  };

  subscriber.on('message', (channel: string, message: string) => {
    if (channel === controlChannel) receiveSignal(message);
    else if (channel.startsWith(runPrefix)) receiveEvents(channel.slice(runPrefix.length), message);
  });

  // Whatever was published while the connection was down is gone from Redis but not from the store.
  let connectedBefore = false;
  subscriber.on('ready', () => {
    if (!connectedBefore) {
      connectedBefore = true;
      return;
    }
    const channels = [...runs.keys()].map((runId) => `${runPrefix}${runId}`);
    if (listeningForSignals) channels.push(controlChannel);
    if (channels.length === 0) return;
    subscriber.subscribe(...channels).then(
      () => {
        for (const run of runs.values()) for (const feed of run.feeds) feed.catchUp();
      },
      (error: unknown) => {
        if (!closed) logger?.warn({ err: error }, 'event bus could not resubscribe');
      },
    );
  });

  const detach = (feed: RunEventFeed): void => {
    const run = runs.get(feed.runId);
    if (!run?.feeds.delete(feed) || run.feeds.size > 0) return;
    runs.delete(feed.runId);
    if (!closed) subscriber.unsubscribe(`${runPrefix}${feed.runId}`).catch(() => undefined);
  };

  return {
    async publish(events) {
      if (closed) return;
      const byRun = Map.groupBy(events, (event) => event.runId);
      await Promise.all([...byRun].map(([runId, runEvents]) => announce(runId, runEvents)));
    },

    subscribe(request) {
      if (closed) throw internalError('the event bus is closed');
      const feed: RunEventFeed = createRunEventFeed({
        request,
        readEvents: options.readEvents,
        pageSize: options.pageSize,
        onEnd: () => detach(feed),
      });
      let run = runs.get(request.runId);
      if (!run) {
        run = { feeds: new Set(), subscribed: listen(`${runPrefix}${request.runId}`) };
        runs.set(request.runId, run);
      }
      run.feeds.add(feed);
      // Catch up only once Redis confirmed the SUBSCRIBE: from then on every commit is read or pushed.
      run.subscribed.then(
        () => feed.catchUp(),
        (error: unknown) => feed.fail(dependencyError('could not subscribe to Redis', error)),
      );
      return { close: () => feed.close() };
    },

    async signal(runId, message) {
      if (closed) throw internalError('the event bus is closed');
      if (!(await send(controlChannel, JSON.stringify({ runId, message })))) {
        throw dependencyError(`could not signal run ${runId}: Redis did not take the message`);
      }
    },

    onSignal(handler) {
      const registered: SignalHandler = (runId, message) => handler(runId, message);
      signalHandlers.add(registered);
      if (!listeningForSignals && !closed) {
        listeningForSignals = true;
        listen(controlChannel).catch((error: unknown) => {
          if (!closed) logger?.warn({ err: error }, 'event bus could not subscribe to signals');
        });
      }
      return () => {
        signalHandlers.delete(registered);
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      signalHandlers.clear();
      for (const settle of [...readyWaiters]) settle(false);
      for (const expire of [...timers]) expire();
      const feeds = [...runs.values()].flatMap((run) => [...run.feeds]);
      await Promise.all(feeds.map((feed) => feed.close()));
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};
