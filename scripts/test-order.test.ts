import { describe, expect, it } from 'vitest';
import { longestFirst } from './test-order.ts';

describe('longestFirst', () => {
  it('puts recorded files longest first, and an unrecorded one where the median duration would be', () => {
    const files = ['short', 'new-a', 'long', 'middle', 'new-b'];
    const ordered = longestFirst(files, (file) => `test/${file}.test.ts`, {
      'test/short.test.ts': 1_000,
      'test/long.test.ts': 400_000,
      'test/middle.test.ts': 60_000,
      'test/gone.test.ts': 2_000,
    });
    // Median of 1,000 / 2,000 / 60,000 / 400,000 is 60,000: the new files tie with 'middle', in order.
    expect(ordered).toEqual(['long', 'new-a', 'middle', 'new-b', 'short']);
  });

  it('keeps the given order between files of equal duration', () => {
    const ordered = longestFirst(['b', 'a', 'c'], (file) => file, { a: 5, b: 5, c: 9 });
    expect(ordered).toEqual(['c', 'b', 'a']);
  });
});
