import type { ActionStats } from '../ports/learning-store.ts';
import type { BanditStrategy } from './bandit.ts';
import { choose } from './bandit.ts';
import { mulberry32 } from './random.ts';
import { reward } from './reward.ts';

/** A simulated tool: its name and true success rate. */
export interface SimulatedArm {
  action: string;
  successRate: number;
}

/** The record of a simulated sequence of runs. */
export interface BanditSimulation {
  /** The action chosen in each run. */
  choices: string[];
  /** Cumulative expected regret after each run (best rate − chosen rate, summed). */
  regret: number[];
}

/**
 * Plays `runs` rounds of a bandit against arms with fixed success rates, updating `ActionStats` as
 * the platform would. Decisions and outcomes use separate PRNG streams derived from `seed`, so a
 * seed always replays the same history. Used by the tests and the benchmark.
 */
export function simulateBandit(options: {
  arms: readonly SimulatedArm[];
  runs: number;
  strategy: BanditStrategy;
  seed: number;
  exploration?: number;
}): BanditSimulation {
  const decide = mulberry32(options.seed);
  const world = mulberry32(options.seed ^ 0x9e3779b9);
  const best = Math.max(...options.arms.map((arm) => arm.successRate));
  const stats: ActionStats[] = options.arms.map((arm) => ({
    agentId: 'simulated',
    signature: 'simulated',
    action: arm.action,
    trials: 0,
    successes: 0,
    totalReward: 0,
    totalCostUsd: 0,
    totalLatencyMs: 0,
    updatedAt: 0,
  }));
  const choices: string[] = [];
  const regret: number[] = [];
  let cumulative = 0;
  for (let run = 0; run < options.runs; run++) {
    const { chosen } = choose(
      options.arms.map((arm) => arm.action),
      stats,
      {
        strategy: options.strategy,
        random: decide,
        ...(options.exploration === undefined ? {} : { exploration: options.exploration }),
      },
    );
    const index = options.arms.findIndex((arm) => arm.action === chosen);
    const arm = options.arms[index];
    const row = stats[index];
    if (!arm || !row) throw new Error(`bandit chose an unknown arm '${chosen}'`);
    const success = world() < arm.successRate;
    row.trials += 1;
    row.successes += success ? 1 : 0;
    row.totalReward += reward({ success, costUsd: 0, latencyMs: 0 });
    row.updatedAt = run;
    cumulative += best - arm.successRate;
    choices.push(chosen);
    regret.push(cumulative);
  }
  return { choices, regret };
}
