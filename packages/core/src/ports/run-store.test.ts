import { describe, expect, it } from 'vitest';
import type { Run } from '../protocol/run.ts';
import { mayTakeLease } from './run-store.ts';

const held = { leaseOwner: 'a', leaseExpiresAt: 2_000 };

describe('mayTakeLease', () => {
  const run = held as Run;

  it('takes a free lease or one already held by the acquirer', () => {
    expect(mayTakeLease(run, { owner: 'b', now: 2_001, ttlMs: 10 })).toBe(true);
    expect(mayTakeLease(run, { owner: 'a', now: 1_000, ttlMs: 10 })).toBe(true);
    expect(mayTakeLease(run, { owner: 'b', now: 1_000, ttlMs: 10 })).toBe(false);
  });

  it('asks steal about the holder of an unexpired lease, and only then', () => {
    const asked: string[] = [];
    const steal = (holder: string) => {
      asked.push(holder);
      return holder === 'a';
    };
    expect(mayTakeLease(run, { owner: 'b', now: 1_000, ttlMs: 10, steal })).toBe(true);
    expect(mayTakeLease({ ...run, leaseOwner: 'c' }, { owner: 'b', now: 1_000, ttlMs: 10, steal })).toBe(
      false,
    );
    expect(mayTakeLease(run, { owner: 'b', now: 2_001, ttlMs: 10, steal })).toBe(true);
    expect(asked).toEqual(['a', 'c']);
  });
});
