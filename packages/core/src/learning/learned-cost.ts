import type { ActionStats } from '../ports/learning-store.ts';
import { aggregateStats } from './bandit.ts';

/**
 * The planner cost multiplier of an action from its statistics: the expected number of attempts
 * per success, `(trials + 1) / (successes + 1)` (Laplace-smoothed so that an action with no data,
 * or only successes, costs ×1 and one that fails half the time costs about ×2). Rows of the same
 * action are summed.
 */
export function learnedCost(stats: readonly ActionStats[] | ActionStats): number {
  const rows = Array.isArray(stats) ? stats : [stats as ActionStats];
  let trials = 0;
  let successes = 0;
  for (const row of rows) {
    trials += row.trials;
    successes += Math.min(row.successes, row.trials);
  }
  return (trials + 1) / (successes + 1);
}

/** Learned cost multipliers per action name, ready for `PlanOptions.learnedCosts` / `BrainContext.learnedCosts`. */
export function learnedCosts(stats: readonly ActionStats[]): Map<string, number> {
  const costs = new Map<string, number>();
  for (const [action, total] of aggregateStats(stats)) {
    costs.set(action, (total.trials + 1) / (Math.min(total.successes, total.trials) + 1));
  }
  return costs;
}
