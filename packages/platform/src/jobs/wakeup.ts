/**
 * An in-process wake-up call: pollers sleep on it and wake early when something they poll for may have
 * changed (this process wrote a job, a slot freed). A counter, so a notification between a poller's
 * look and its wait is never lost.
 */
export interface Wakeup {
  /** Increases with every {@link notify}. */
  readonly generation: number;
  /** Wakes every waiter. */
  notify(): void;
  /**
   * Resolves after `ms`, at once if notified since `generation` was read, or when `signal` aborts.
   * Never rejects.
   */
  wait(ms: number, generation: number, signal?: AbortSignal): Promise<void>;
}

/** A new {@link Wakeup}. */
export function createWakeup(): Wakeup {
  let generation = 0;
  const waiters = new Set<() => void>();
  return {
    get generation() {
      return generation;
    },
    notify() {
      generation += 1;
      for (const wake of [...waiters]) wake();
    },
    wait(ms, seen, signal) {
      if (generation !== seen || signal?.aborted) return Promise.resolve();
      return new Promise((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        waiters.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    },
  };
}
