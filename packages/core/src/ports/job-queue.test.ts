import { describe, expect, it } from 'vitest';
import { jobBackoffMs } from './job-queue.ts';

describe('jobBackoffMs', () => {
  it('doubles per attempt, between half and all of the exponential delay', () => {
    const low = (attempt: number) => jobBackoffMs(attempt, { baseMs: 100, random: () => 0 });
    const high = (attempt: number) => jobBackoffMs(attempt, { baseMs: 100, random: () => 0.999_999 });
    expect([1, 2, 3, 4].map(low)).toEqual([50, 100, 200, 400]);
    expect([1, 2, 3, 4].map(high)).toEqual([100, 200, 400, 800]);
  });

  it('is capped at maxMs and spreads retries with its jitter', () => {
    expect(jobBackoffMs(30, { baseMs: 1000, maxMs: 60_000, random: () => 0.5 })).toBe(45_000);
    const spread = new Set(
      Array.from({ length: 50 }, (_, index) => jobBackoffMs(3, { random: () => index / 50 })),
    );
    expect(spread.size).toBeGreaterThan(40);
  });
});
