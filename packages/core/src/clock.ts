/** Time source. Injected everywhere so tests are deterministic. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` (or rejects when `signal` aborts). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Id source. Injected everywhere so tests are deterministic. */
export interface IdGenerator {
  /** A new unique id, prefixed for readability (e.g. `run_…`). */
  next(prefix: string): string;
}

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Random, time-ordered ids: `<prefix>_<time36><random>`. */
export const randomIds: IdGenerator = {
  next: (prefix) => {
    const time = Date.now().toString(36).padStart(9, '0');
    const random = crypto.randomUUID().replace(/-/g, '').slice(0, 14);
    return `${prefix}_${time}${random}`;
  },
};
