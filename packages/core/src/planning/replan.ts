import { plan } from './plan.ts';
import type { PlanOptions, PlanProblem, PlanResult } from './types.ts';

/** What went wrong with the action the plan was executing. */
export interface PlanFailure {
  /** The action that failed or whose expected effect did not show. */
  action: string;
  /** `failed`: the call returned an error; `contradicted`: it returned, but an expected effect is false. */
  kind: 'failed' | 'contradicted';
}

/** How to treat a failed action when planning again. */
export interface ReplanOptions extends PlanOptions {
  /** `exclude` removes the action; `penalize` multiplies its cost. @default 'penalize' */
  mode?: 'exclude' | 'penalize';
  /** Cost multiplier for a penalized action. @default 3 */
  penalty?: number;
}

/**
 * Plans again from the state actually observed, after an action failed or an observation
 * contradicted what the plan expected. The failed action is penalized (so an alternative wins when
 * one exists, and the same action is retried only when nothing else can do the job) or excluded.
 */
export function replan(
  problem: PlanProblem,
  state: readonly string[],
  failure: PlanFailure,
  options: ReplanOptions = {},
): PlanResult {
  if (!problem.actions.some((action) => action.name === failure.action)) {
    return {
      ok: false,
      reason: 'unknown_action',
      message: `the failed action '${failure.action}' is not in the action set`,
      expansions: 0,
    };
  }
  const current: PlanProblem = { ...problem, initial: state };
  const { mode = 'penalize', penalty = 3, ...planOptions } = options;
  if (mode === 'exclude') {
    return plan(current, { ...planOptions, exclude: [...(planOptions.exclude ?? []), failure.action] });
  }
  const penalties = new Map(planOptions.penalties ?? []);
  penalties.set(failure.action, (penalties.get(failure.action) ?? 1) * penalty);
  return plan(current, { ...planOptions, penalties });
}
