import {
  createRunEventFeed,
  internalError,
  type EventBus,
  type RunEventFeed,
  type SignalHandler,
  type StoredEventReader,
} from '@autonoma/core';

/** Where a bus reports what operators should know. Shaped like pino's methods. */
export interface EventBusLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Options for {@link createLocalEventBus}. */
export interface LocalEventBusOptions {
  /** Reads a run's stored events; subscribers catch up through it. */
  readEvents: StoredEventReader;
  /** The `limit` of each store read. @default 500 */
  pageSize?: number;
  /** Receives the errors of signal handlers. @default no logging */
  logger?: EventBusLogger;
}

/**
 * The in-process event bus of embedded mode: publishers and subscribers share one process, so live
 * delivery is a loop over listeners and nothing is ever lost in transit.
 */
export function createLocalEventBus(options: LocalEventBusOptions): EventBus {
  const feeds = new Map<string, Set<RunEventFeed>>();
  const signalHandlers = new Set<SignalHandler>();
  let closed = false;

  const detach = (feed: RunEventFeed): void => {
    const runFeeds = feeds.get(feed.runId);
    runFeeds?.delete(feed);
    if (runFeeds?.size === 0) feeds.delete(feed.runId);
  };

  return {
    async publish(events) {
      for (const event of events) {
        for (const feed of [...(feeds.get(event.runId) ?? [])]) feed.push(event);
      }
    },

    subscribe(request) {
      if (closed) throw internalError('the event bus is closed');
      const feed: RunEventFeed = createRunEventFeed({
        request,
        readEvents: options.readEvents,
        pageSize: options.pageSize,
        onEnd: () => detach(feed),
      });
      const runFeeds = feeds.get(request.runId) ?? new Set<RunEventFeed>();
      feeds.set(request.runId, runFeeds.add(feed));
      // The listener is in place, so whatever commits from now on is either read or pushed.
      feed.catchUp();
      return { close: () => feed.close() };
    },

    async signal(runId, message) {
      for (const handler of [...signalHandlers]) {
        try {
          handler(runId, message);
        } catch (error) {
          options.logger?.warn({ runId, signal: message.type, err: error }, 'signal handler failed');
        }
      }
    },

    onSignal(handler) {
      // A wrapper per registration, so registering one function twice needs two removals.
      const registered: SignalHandler = (runId, message) => handler(runId, message);
      signalHandlers.add(registered);
      return () => {
        signalHandlers.delete(registered);
      };
    },

    async close() {
      closed = true;
      signalHandlers.clear();
      const open = [...feeds.values()].flatMap((runFeeds) => [...runFeeds]);
      await Promise.all(open.map((feed) => feed.close()));
    },
  };
}
