/**
 * Bandit benchmark: 100 runs choosing between two tools, over many seeds.
 * Run: `node bench/learning/bandit.bench.ts`. Prints a Markdown table.
 */
import type { BanditStrategy } from '../../packages/core/src/learning/bandit.ts';
import { defaultExploration } from '../../packages/core/src/learning/bandit.ts';
import { simulateBandit } from '../../packages/core/src/learning/simulate.ts';

const runs = 100;
const seeds = Array.from({ length: 25 }, (_, index) => index + 1);
const scenarios = [
  {
    name: '30% vs 95%',
    arms: [
      { action: 'flaky', successRate: 0.3 },
      { action: 'solid', successRate: 0.95 },
    ],
  },
  {
    name: '80% vs 90%',
    arms: [
      { action: 'flaky', successRate: 0.8 },
      { action: 'solid', successRate: 0.9 },
    ],
  },
];
const strategies: { label: string; strategy: BanditStrategy; exploration?: number }[] = [
  { label: `UCB1 (c = ${defaultExploration}, default)`, strategy: 'ucb1' },
  { label: 'UCB1 (c = √2, textbook)', strategy: 'ucb1', exploration: Math.SQRT2 },
  { label: 'Thompson (Beta posterior)', strategy: 'thompson' },
];

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

console.log(
  `### Bandit: ${runs} runs, better tool = "solid", ${seeds.length} seeds (median, and worst seed)\n`,
);
console.log(
  '| tools | strategy | share of better tool, last 50 (median) | worst seed | cumulative regret (median) | worst seed |',
);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const scenario of scenarios) {
  for (const strategy of strategies) {
    const shares: number[] = [];
    const regrets: number[] = [];
    for (const seed of seeds) {
      const { choices, regret } = simulateBandit({
        arms: scenario.arms,
        runs,
        seed,
        strategy: strategy.strategy,
        ...(strategy.exploration === undefined ? {} : { exploration: strategy.exploration }),
      });
      shares.push(choices.slice(runs / 2).filter((choice) => choice === 'solid').length / (runs / 2));
      regrets.push(regret.at(-1) ?? 0);
    }
    console.log(
      `| ${scenario.name} | ${strategy.label} | ${median(shares).toFixed(2)} | ${Math.min(...shares).toFixed(2)} | ${median(regrets).toFixed(2)} | ${Math.max(...regrets).toFixed(2)} |`,
    );
  }
}
