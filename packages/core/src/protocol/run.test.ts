import { describe, expect, it } from 'vitest';
import { leaseIsFree } from './run.ts';

const held = { leaseOwner: 'a', leaseExpiresAt: 2_000 };

describe('leaseIsFree', () => {
  it('is free when never taken, released, or expired strictly before now', () => {
    expect(leaseIsFree({ leaseOwner: null, leaseExpiresAt: null }, 0)).toBe(true);
    expect(leaseIsFree({ leaseOwner: 'a', leaseExpiresAt: null }, 0)).toBe(true);
    expect(leaseIsFree(held, 1_999)).toBe(false);
    expect(leaseIsFree(held, 2_000)).toBe(false);
    expect(leaseIsFree(held, 2_001)).toBe(true);
  });
});
