import { describe, expect, it } from 'vitest';
import { batchLoader } from './batch-loader.ts';

/** A loader over `rows` that records every batch it was asked for. */
function recording(rows: Record<string, string>) {
  const batches: string[][] = [];
  let fail: Error | undefined;
  const load = batchLoader<string, string>(
    async (keys) => {
      batches.push([...keys]);
      if (fail) throw fail;
      return new Map(keys.flatMap((key) => (rows[key] === undefined ? [] : [[key, rows[key]] as const])));
    },
    { keyOf: (key) => key, maxBatch: 3 },
  );
  return {
    load,
    batches,
    failWith(error: Error) {
      fail = error;
    },
  };
}

describe('batchLoader', () => {
  it('reads the lookups of one turn in one batch, each caller getting its own row (or undefined)', async () => {
    const { load, batches } = recording({ a: 'A', b: 'B' });
    const answers = await Promise.all([load('a'), load('b'), load('missing')]);
    expect(answers).toEqual(['A', 'B', undefined]);
    expect(batches).toEqual([['a', 'b', 'missing']]);
  });

  it('reads equal lookups once, and splits a turn larger than maxBatch', async () => {
    const { load, batches } = recording({ a: 'A', b: 'B', c: 'C', d: 'D' });
    const answers = await Promise.all([load('a'), load('a'), load('b'), load('c'), load('d')]);
    expect(answers).toEqual(['A', 'A', 'B', 'C', 'D']);
    expect(batches).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('caches nothing: a later lookup reads the store again and sees a change', async () => {
    const rows: Record<string, string> = { key: 'active' };
    const { load, batches } = recording(rows);
    expect(await load('key')).toBe('active');
    rows['key'] = 'revoked';
    expect(await load('key')).toBe('revoked');
    expect(batches).toEqual([['key'], ['key']]);
  });

  it('rejects every caller of a batch whose read fails', async () => {
    const { load, failWith } = recording({ a: 'A' });
    failWith(new Error('store down'));
    const answers = await Promise.allSettled([load('a'), load('b')]);
    expect(answers.map((answer) => answer.status)).toEqual(['rejected', 'rejected']);
    expect((answers[0] as PromiseRejectedResult).reason).toEqual(new Error('store down'));
  });
});
