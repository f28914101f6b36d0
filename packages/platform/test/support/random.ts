/**
 * A seeded random source for tests that pick random points (kill times): the seed is printed, and
 * `AUTONOMA_TEST_SEED=<seed>` reproduces a run.
 */

/** A seeded generator of numbers in [0, 1) (mulberry32). */
export interface SeededRandom {
  readonly seed: number;
  next(): number;
}

/** A generator seeded from `AUTONOMA_TEST_SEED`, else from the clock; the seed is logged with `label`. */
export function seededRandom(label: string): SeededRandom {
  const fromEnvironment = Number(process.env['AUTONOMA_TEST_SEED']);
  const seed =
    Number.isInteger(fromEnvironment) && fromEnvironment > 0 ? fromEnvironment : Date.now() % 2 ** 31;
  console.log(`[${label}] random seed ${seed} (reproduce with AUTONOMA_TEST_SEED=${seed})`);
  let state = seed >>> 0;
  return {
    seed,
    next: () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let value = state;
      value = Math.imul(value ^ (value >>> 15), value | 1);
      value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
      return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
    },
  };
}
