/**
 * The local queue's cross-process wake-up on PostgreSQL (no Redis): `NOTIFY` on a channel named after
 * the queue prefix when a process committed job rows, `LISTEN` on one dedicated connection in each
 * process that consumes. Consumers in other processes then claim at once instead of at their next poll
 * (500 ms). Like the Redis channel of the relays (wake-channel.ts), a notification carries no job and
 * no truth: a lost one (a reconnect) costs only a poll interval, so announcing never waits and never
 * fails, and every reconnect of a listener wakes it once (it may have missed one).
 */
import { describeError } from '@autonoma/core';
import pg from 'pg';
import { sql } from '../store/sql.ts';
import type { Executor } from '../store/driver.ts';
import type { JobLogger } from './job-logger.ts';
import { silentLogger } from './job-logger.ts';
import type { WakeChannel, WakeListener } from './wake-channel.ts';
import { createAnnouncer, retryStrategy } from './wake-channel.ts';

/** Options of {@link createPgWakeChannel}. */
export interface PgWakeChannelOptions {
  /** Announces through the store's pool (`SELECT pg_notify(…)`, outside any transaction). */
  db: Executor;
  /** The server's URL, for the listening connection (the pool's connections cannot hold a `LISTEN`). */
  url: string;
  /** The channel is `<prefix>:jobs-written` (cut to fit PostgreSQL's 63-byte names). */
  prefix: string;
  logger?: JobLogger;
}

/** The channel's name: PostgreSQL identifiers hold 63 bytes; ASCII prefixes (config) keep it within. */
export const pgWakeChannelName = (prefix: string): string => `${prefix.slice(0, 48)}:jobs-written`;

/** Creates a {@link WakeChannel} over PostgreSQL's `LISTEN`/`NOTIFY`; nothing connects before use. */
export function createPgWakeChannel(options: PgWakeChannelOptions): WakeChannel {
  const channel = pgWakeChannelName(options.prefix);
  const logger = options.logger ?? silentLogger;
  // Notifications this process sent carry this id, so its own listener ignores them.
  const origin = `${process.pid}:${Math.random().toString(36).slice(2, 10)}`;
  const listeners = new Set<WakeListener>();
  const announcer = createAnnouncer(
    () => options.db.execute(sql`SELECT pg_notify(${channel}, ${origin})`),
    logger,
    'PostgreSQL',
  );

  const listen = (onWake: () => void): WakeListener => {
    let received = 0;
    let stopped = false;
    let client: pg.Client | undefined;
    let timer: NodeJS.Timeout | undefined;
    let attempt = 0;
    const connect = async (): Promise<void> => {
      if (stopped) return;
      const next = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: 5_000 });
      client = next;
      let lost = false;
      const reconnect = (error?: unknown): void => {
        if (lost || stopped) return;
        lost = true;
        if (attempt === 0 && error !== undefined)
          logger.warn(
            { error: describeError(error) },
            'lost the connection that listens for job wake-ups; polling until it is back',
          );
        next.end().catch(() => undefined);
        attempt += 1;
        timer = setTimeout(() => void connect(), retryStrategy(attempt));
        timer.unref();
      };
      next.on('error', reconnect);
      next.on('end', () => reconnect());
      next.on('notification', (message) => {
        if (message.channel !== channel || message.payload === origin) return;
        received += 1;
        onWake();
      });
      try {
        await next.connect();
        await next.query(`LISTEN ${next.escapeIdentifier(channel)}`);
        if (stopped) {
          await next.end().catch(() => undefined);
          return;
        }
        // Back after an outage: what was announced meanwhile is gone, so look now.
        if (attempt > 0) onWake();
        attempt = 0;
      } catch (error) {
        reconnect(error);
      }
    };
    void connect();
    const listener: WakeListener = {
      get received() {
        return received;
      },
      async stop() {
        stopped = true;
        clearTimeout(timer);
        listeners.delete(listener);
        await client?.end().catch(() => undefined);
      },
    };
    listeners.add(listener);
    return listener;
  };

  return {
    announce: announcer.announce,
    listen,
    async close() {
      await announcer.close();
      await Promise.all([...listeners].map((listener) => listener.stop()));
    },
  };
}
