/**
 * The relays' cross-process wake-up: a Redis pub/sub channel (`<prefix>:jobs-written`). A process that
 * wrote job rows and runs no relay of its own (an API replica, `autonoma run` in a cluster) announces
 * it once the write committed; every relay listening passes at once instead of at its next poll. A
 * message carries no job and no truth — a lost one (Redis down, a reconnect) only costs a poll
 * interval — so announcing never waits and never fails. See docs/jobs.md ("Waking the relays").
 */
import { describeError } from '@autonoma/core';
import { Redis } from 'ioredis';
import type { JobLogger } from './job-logger.ts';
import { silentLogger } from './job-logger.ts';

/** Options of {@link createWakeChannel}. */
export interface WakeChannelOptions {
  redisUrl: string;
  /** The channel is `<prefix>:jobs-written`, so deployments sharing a Redis do not wake each other. */
  prefix: string;
  logger?: JobLogger;
}

/** A relay listening to the channel. */
export interface WakeListener {
  /** Messages received so far (each made the relay pass). */
  readonly received: number;
  stop(): Promise<void>;
}

/** The channel: announce on one side, listen on the other. */
export interface WakeChannel {
  /**
   * Tells the relays of other processes that jobs were written. Coalesced: at most one message in
   * flight and one more owed, however many writes happen meanwhile. Never throws.
   */
  announce(): void;
  /** Calls `onWake` for every announcement (and after every reconnect, when one may have been missed). */
  listen(onWake: () => void): WakeListener;
  close(): Promise<void>;
}

/** Reconnects quickly at first, then every 2 s, jittered so processes do not reconnect in step. */
export const retryStrategy = (attempt: number): number =>
  Math.min(50 * 2 ** (attempt - 1), 2000) + Math.floor(Math.random() * 100);

/** A coalescing sender of wake-ups: what both channels (Redis here, PostgreSQL's) announce with. */
export interface Announcer {
  /** Sends one wake-up: at most one in flight and one owed, however often it is called. Never throws. */
  announce(): void;
  /** Stops announcing; a wake-up in flight gets a moment (500 ms at most) to leave. */
  close(): Promise<void>;
}

/**
 * Coalesces `send` into an {@link Announcer}. A failed send is logged once per outage (`what` names
 * the transport) and costs only latency: the receivers' poll picks the jobs up.
 */
export function createAnnouncer(send: () => Promise<unknown>, logger: JobLogger, what: string): Announcer {
  let inFlight: Promise<void> | undefined;
  let owed = false;
  let failures = 0;
  let closed = false;
  const announce = (): void => {
    if (closed) return;
    if (inFlight) {
      owed = true;
      return;
    }
    inFlight = send()
      .then(
        () => {
          if (failures > 0) logger.info({ failures }, `wake-ups reach ${what} again`);
          failures = 0;
        },
        (error: unknown) => {
          if ((failures += 1) === 1)
            logger.warn({ error: describeError(error) }, `could not send a wake-up through ${what}`);
        },
      )
      .finally(() => {
        inFlight = undefined;
        if (owed) {
          owed = false;
          announce();
        }
      });
  };
  return {
    announce,
    async close() {
      // A process that wrote a run and exits at once (`autonoma approve`) still wakes the others: its
      // wake-up in flight gets a moment to leave.
      const leaving = inFlight;
      closed = true;
      if (!leaving) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([leaving, new Promise((resolve) => (timer = setTimeout(resolve, 500)))]);
      clearTimeout(timer);
    },
  };
}

/** Creates a {@link WakeChannel}; it connects on first use (a publisher, and a subscriber per listener). */
export function createWakeChannel(options: WakeChannelOptions): WakeChannel {
  const channel = `${options.prefix}:jobs-written`;
  const logger = options.logger ?? silentLogger;
  let publisher: Redis | undefined;
  const listeners = new Set<WakeListener>();

  const publisherConnection = (): Redis => {
    if (publisher) return publisher;
    // The offline queue holds at most the one message in flight (coalescing), so an outage grows nothing.
    publisher = new Redis(options.redisUrl, {
      connectionName: `${options.prefix}-wake-publish`,
      maxRetriesPerRequest: 1,
      retryStrategy,
    });
    publisher.on('error', () => undefined);
    return publisher;
  };

  const announcer = createAnnouncer(
    () => publisherConnection().publish(channel, String(process.pid)),
    logger,
    'Redis',
  );

  return {
    announce: announcer.announce,
    listen(onWake) {
      const subscriber = new Redis(options.redisUrl, {
        connectionName: `${options.prefix}-wake-listen`,
        maxRetriesPerRequest: null,
        retryStrategy,
      });
      let received = 0;
      let connectedBefore = false;
      subscriber.on('error', () => undefined);
      subscriber.on('message', (from: string) => {
        if (from !== channel) return;
        received += 1;
        onWake();
      });
      // ioredis subscribes again after a reconnect; what was announced meanwhile is gone: pass anyway.
      subscriber.on('ready', () => {
        if (connectedBefore) onWake();
        connectedBefore = true;
      });
      subscriber.subscribe(channel).catch((error: unknown) => {
        logger.warn({ error: describeError(error) }, 'could not listen for relay wake-ups; polling only');
      });
      const listener: WakeListener = {
        get received() {
          return received;
        },
        async stop() {
          listeners.delete(listener);
          subscriber.disconnect();
        },
      };
      listeners.add(listener);
      return listener;
    },
    async close() {
      await announcer.close();
      await Promise.all([...listeners].map((listener) => listener.stop()));
      publisher?.disconnect();
      publisher = undefined;
    },
  };
}
