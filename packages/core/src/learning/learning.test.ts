import { describe, expect, it } from 'vitest';
import type { ActionStats } from '../ports/learning-store.ts';
import { choose } from './bandit.ts';
import { learnedCost, learnedCosts } from './learned-cost.ts';
import { mulberry32, sampleBeta, sampleGamma } from './random.ts';
import { defaultRewardWeights, reward } from './reward.ts';
import { simulateBandit } from './simulate.ts';

const stat = (action: string, trials: number, successes: number, totalReward = successes): ActionStats => ({
  agentId: 'agent',
  signature: 'sig',
  action,
  trials,
  successes,
  totalReward,
  totalCostUsd: 0,
  totalLatencyMs: 0,
  updatedAt: 0,
});

const arms = [
  { action: 'flaky_tool', successRate: 0.3 },
  { action: 'solid_tool', successRate: 0.95 },
];

describe('random', () => {
  it('is reproducible per seed and uniform enough', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const values = Array.from({ length: 2000 }, () => a());
    expect(values.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    expect(mean).toBeGreaterThan(0.47);
    expect(mean).toBeLessThan(0.53);
    expect(values.every((value) => value >= 0 && value < 1)).toBe(true);
  });

  it('samples Gamma and Beta with the right means', () => {
    const random = mulberry32(11);
    const n = 4000;
    let gamma = 0;
    let gammaSmall = 0;
    let beta = 0;
    for (let index = 0; index < n; index++) {
      gamma += sampleGamma(3, random);
      gammaSmall += sampleGamma(0.5, random);
      beta += sampleBeta(2, 6, random);
    }
    expect(gamma / n).toBeCloseTo(3, 0);
    expect(gammaSmall / n).toBeGreaterThan(0.45);
    expect(gammaSmall / n).toBeLessThan(0.55);
    expect(beta / n).toBeGreaterThan(0.23);
    expect(beta / n).toBeLessThan(0.27);
  });
});

describe('reward', () => {
  it('gives failures nothing and free instant successes 1', () => {
    expect(reward({ success: false, costUsd: 0, latencyMs: 0 })).toBe(0);
    expect(reward({ success: true, costUsd: 0, latencyMs: 0 })).toBe(1);
  });

  it('weighs cost and latency with configurable weights', () => {
    const expensive = reward({ success: true, costUsd: defaultRewardWeights.costScaleUsd, latencyMs: 0 });
    expect(expensive).toBeCloseTo(0.8);
    const slow = reward({ success: true, costUsd: 0, latencyMs: 60_000 });
    expect(slow).toBeCloseTo(0.9);
    expect(
      reward({ success: true, costUsd: 1, latencyMs: 0 }, { success: 1, cost: 1, latency: 0 }),
    ).toBeCloseTo(0.5);
  });
});

describe('choose', () => {
  it('explores untried options first under UCB1, and says so', () => {
    const choice = choose(['a', 'b'], [stat('a', 5, 5)], { strategy: 'ucb1' });
    expect(choice.chosen).toBe('b');
    expect(choice.reason).toMatch(/^untried: exploring b/);
    expect(choice.scores).toEqual([
      { action: 'a', score: 1 + 0.5 * Math.sqrt(Math.log(5) / 5), trials: 5, mean: 1 },
      { action: 'b', score: null, trials: 0, mean: 0 },
    ]);
  });

  it('explains a UCB1 choice with mean, trials and bonus', () => {
    const choice = choose(
      ['web_search_a', 'web_search_b'],
      [stat('web_search_a', 14, 13), stat('web_search_b', 4, 2)],
      {
        strategy: 'ucb1',
      },
    );
    expect(choice.chosen).toBe('web_search_a');
    expect(choice.reason).toMatch(
      /^UCB1: web_search_a mean 0\.93 over 14 trials \+ bonus 0\.23 = 1\.16; next web_search_b/,
    );
  });

  it('requires a random source for Thompson sampling and is reproducible with one', () => {
    expect(() => choose(['a', 'b'], [], { strategy: 'thompson' })).toThrow(/random/);
    const stats = [stat('a', 10, 5), stat('b', 10, 6)];
    const first = choose(['a', 'b'], stats, { strategy: 'thompson', random: mulberry32(3) });
    const second = choose(['a', 'b'], stats, { strategy: 'thompson', random: mulberry32(3) });
    expect(first).toEqual(second);
    expect(first.reason).toMatch(/^Thompson: /);
  });

  for (const strategy of ['ucb1', 'thompson'] as const) {
    it(`${strategy} converges on the 95% tool against a 30% one`, () => {
      for (const seed of [1, 2, 3, 42]) {
        const { choices, regret } = simulateBandit({ arms, runs: 100, strategy, seed });
        const share = choices.slice(50).filter((choice) => choice === 'solid_tool').length / 50;
        expect(share, `seed ${seed}`).toBeGreaterThanOrEqual(0.9);
        // regret grows much slower than always picking at random (0.325 per run → 32.5)
        expect(regret.at(-1) ?? Infinity).toBeLessThan(12);
      }
    });
  }
});

describe('learnedCost', () => {
  it('is 1 without data or failures and grows with the failure rate', () => {
    expect(learnedCost([])).toBe(1);
    expect(learnedCost(stat('a', 9, 9))).toBe(1);
    expect(learnedCost(stat('a', 9, 4))).toBe(2);
    expect(learnedCosts([stat('a', 3, 0), stat('a', 1, 1), stat('b', 2, 2)])).toEqual(
      new Map([
        ['a', 2.5],
        ['b', 1],
      ]),
    );
  });
});
