import type { Clock, IdGenerator } from '../clock.ts';

/** A clock that only moves when told to; `sleep` advances it instantly. */
export class FixedClock implements Clock {
  #now: number;
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  /** Moves time forward. */
  advance(ms: number): void {
    this.#now += ms;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    this.#now += ms;
  }
}

/** Ids `<prefix>_1`, `<prefix>_2`, … per prefix. */
export class SequentialIds implements IdGenerator {
  readonly #counters = new Map<string, number>();
  next(prefix: string): string {
    const value = (this.#counters.get(prefix) ?? 0) + 1;
    this.#counters.set(prefix, value);
    return `${prefix}_${value}`;
  }
}
