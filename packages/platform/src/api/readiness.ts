/**
 * What `/readyz` checks: the store answers, and in a cluster Redis answers. Each check has a deadline,
 * so a hung dependency makes the probe fail rather than hang.
 */
import { AutonomaError, dependencyError, describeError } from '@autonoma/core';
import type { Redis } from 'ioredis';
import type { App } from '../app.ts';

/** One dependency the server needs. */
export interface ReadinessCheck {
  /** Named in the answer: `store`, `redis`. */
  name: string;
  /** Resolves when the dependency answers. */
  check(): Promise<void>;
  /** Releases what the check holds (a connection). */
  close?(): Promise<void>;
}

/** The outcome of one check. */
export interface CheckResult {
  name: string;
  ok: boolean;
  /** Why it failed: an error code, never a connection string. */
  error?: string;
}

/** A check's deadline. @default 2000 */
const checkTimeoutMs = 2000;

const withDeadline = async (name: string, work: Promise<void>): Promise<void> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(dependencyError(`${name} did not answer within ${checkTimeoutMs} ms`)),
      checkTimeoutMs,
    );
  });
  try {
    await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
};

/** Runs every check at once. */
export async function checkReadiness(checks: readonly ReadinessCheck[]): Promise<CheckResult[]> {
  return Promise.all(
    checks.map(async ({ name, check }) => {
      try {
        await withDeadline(name, check());
        return { name, ok: true };
      } catch (error) {
        return {
          name,
          ok: false,
          error:
            error instanceof AutonomaError ? error.code : (describeError(error).split(':')[0] ?? 'error'),
        };
      }
    }),
  );
}

/** The checks of an app: its store, and Redis when it runs as a cluster with one. */
export function defaultReadiness(app: App): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [{ name: 'store', check: () => app.database.ping() }];
  const redisUrl = app.mode === 'cluster' ? app.config.redisUrl : undefined;
  if (redisUrl) checks.push(redisCheck(redisUrl));
  return checks;
}

/** Pings Redis over one lazily opened connection that never queues commands while disconnected. */
function redisCheck(url: string): ReadinessCheck {
  let client: Promise<Redis> | undefined;
  // One wait for the connection, however many probes come while it is down.
  let connected: Promise<unknown> | undefined;
  const connect = async (): Promise<Redis> => {
    const ioredis = await import('ioredis');
    return new ioredis.Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: checkTimeoutMs,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    }).on('error', () => undefined);
  };
  return {
    name: 'redis',
    async check() {
      client ??= connect();
      const redis = await client;
      // The first probe may come before the connection is up (the deadline bounds the wait).
      if (redis.status !== 'ready') {
        connected ??= new Promise((ready) => redis.once('ready', ready)).finally(
          () => (connected = undefined),
        );
        await connected;
      }
      await redis.ping();
    },
    async close() {
      (await client)?.disconnect();
    },
  };
}
