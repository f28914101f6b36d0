/**
 * Request rate limits: fixed one-minute windows counted per key (`principal:<actor>`, `ip:<address>`).
 * Counted in Redis in a cluster with `REDIS_URL` (so a limit holds across replicas), in this process
 * otherwise. Over the limit, a request answers 429 with `Retry-After` (the seconds left in the window).
 */
import type { Clock } from '@autonoma/core';
import { rateLimited } from '../services/index.ts';

/** Where hits are counted. */
export interface RateLimitStore {
  /** Counts one hit under `key`: the hits in its current window, and the ms until it ends. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }>;
  close(): Promise<void>;
}

/** Counts in this process; windows expire by `clock`. Forgets expired keys as it goes. */
export function memoryRateLimitStore(clock: Clock): RateLimitStore {
  const windows = new Map<string, { count: number; endsAt: number }>();
  let sweepAt = 0;
  return {
    async hit(key, windowMs) {
      const now = clock.now();
      if (now >= sweepAt) {
        for (const [known, window] of windows) if (window.endsAt <= now) windows.delete(known);
        sweepAt = now + windowMs;
      }
      let window = windows.get(key);
      if (!window || window.endsAt <= now) {
        window = { count: 0, endsAt: now + windowMs };
        windows.set(key, window);
      }
      window.count += 1;
      return { count: window.count, resetInMs: window.endsAt - now };
    },
    async close() {
      windows.clear();
    },
  };
}

/** INCR, and start the window's expiry on its first hit; answers the count and the ms left. */
const hitScript = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return { count, ttl }`;

/** How long a new Redis store waits for its connection before counting (failing open) without it. */
const readyTimeoutMs = 3000;

/** Counts in Redis: every replica shares the windows. Fails open when Redis does not answer in time. */
export async function redisRateLimitStore(
  url: string,
  prefix = 'autonoma:ratelimit:',
): Promise<RateLimitStore> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
  // Errors surface on each hit (which then fails open); the client reconnects by itself.
  redis.on('error', () => undefined);
  // Without an offline queue, hits before the connection is up would all fail open: a replica that
  // just started would count nothing. Wait for it (briefly: an unreachable Redis must not stop the API).
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, readyTimeoutMs);
    timer.unref();
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return {
    async hit(key, windowMs) {
      try {
        const [count, ttl] = (await redis.eval(hitScript, 1, `${prefix}${key}`, windowMs)) as [
          number,
          number,
        ];
        return { count, resetInMs: ttl };
      } catch {
        // A limit that cannot be counted lets the request through: Redis holds no truth (§5), and an
        // outage of it must not take the API down with it.
        return { count: 0, resetInMs: windowMs };
      }
    },
    async close() {
      redis.disconnect();
    },
  };
}

/** Limits of one kind of key. */
export interface RateLimit {
  /** Requests per window; 0: no limit. */
  max: number;
  /** @default 60000 */
  windowMs?: number;
}

/** Checks keys against their limits. */
export interface RateLimiter {
  /** Throws `rate_limited` (429, with the seconds to wait) when `key` is over `limit`. */
  check(key: string, limit: RateLimit): Promise<void>;
  close(): Promise<void>;
}

/** A limiter over a store. */
export function createRateLimiter(store: RateLimitStore): RateLimiter {
  return {
    async check(key, limit) {
      if (limit.max <= 0) return;
      const { count, resetInMs } = await store.hit(key, limit.windowMs ?? 60_000);
      if (count > limit.max) throw rateLimited(`too many requests: at most ${limit.max} a minute`, resetInMs);
    },
    close: () => store.close(),
  };
}
