import type { EventPayload } from '../protocol/events.ts';
import type { Budgets, Usage } from '../protocol/run.ts';

type BudgetName = 'steps' | 'tokens' | 'cost' | 'wall';

const measures: {
  name: BudgetName;
  used: (usage: Usage) => number;
  limit: (budgets: Budgets) => number | undefined;
}[] = [
  { name: 'steps', used: (usage) => usage.steps, limit: (budgets) => budgets.maxSteps },
  {
    name: 'tokens',
    used: (usage) => usage.inputTokens + usage.outputTokens,
    limit: (budgets) => budgets.maxTokens,
  },
  { name: 'cost', used: (usage) => usage.costUsd, limit: (budgets) => budgets.maxCostUsd },
  { name: 'wall', used: (usage) => usage.wallMs, limit: (budgets) => budgets.maxWallMs },
];

/** Share of a budget at which a `budget-warning` is emitted once. */
export const budgetWarningRatio = 0.8;

/** The first budget `usage` has reached, with a reason, or undefined. */
export function exceededBudget(budgets: Budgets, usage: Usage): string | undefined {
  for (const measure of measures) {
    const limit = measure.limit(budgets);
    if (limit !== undefined && measure.used(usage) >= limit) {
      return `${measure.name} budget exhausted: ${round(measure.used(usage))} of ${limit}`;
    }
  }
  return undefined;
}

/** Warnings for budgets that crossed the warning ratio between `before` and `after`. */
export function budgetWarnings(budgets: Budgets, before: Usage, after: Usage): EventPayload[] {
  const warnings: EventPayload[] = [];
  for (const measure of measures) {
    const limit = measure.limit(budgets);
    if (limit === undefined) continue;
    const threshold = limit * budgetWarningRatio;
    if (measure.used(before) < threshold && measure.used(after) >= threshold && measure.used(after) < limit) {
      warnings.push({
        type: 'budget-warning',
        budget: measure.name,
        used: round(measure.used(after)),
        limit,
      });
    }
  }
  return warnings;
}

const round = (value: number): number => Math.round(value * 1e6) / 1e6;
