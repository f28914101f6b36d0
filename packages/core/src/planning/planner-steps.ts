import type { BrainContext, BrainDecision } from '../brains/brain.ts';
import { goalSignature } from '../goals/goal-signature.ts';
import type { BanditStrategy } from '../learning/bandit.ts';
import { choose } from '../learning/bandit.ts';
import { mulberry32, seedFrom } from '../learning/random.ts';
import type { ActionStats } from '../ports/learning-store.ts';
import type { GoalSpec } from '../protocol/run.ts';
import type { PlannerState } from './brain-state.ts';
import type { ContractMap } from './plan-execution.ts';
import { alternativesFor, reaches, resultOf } from './plan-execution.ts';
import { plan } from './plan.ts';
import { actionsFromTools, applyEffects } from './tool-actions.ts';

/** Options of the planner brain. */
export interface PlannerBrainOptions {
  /** Time source for the search's time budget; without it only the node budget applies. */
  now?: () => number;
  /** @default 20000 */
  maxExpansions?: number;
  /** @default 1000 */
  maxMs?: number;
  /** Bandit used when several tools can take the next step. @default { strategy: 'ucb1' } */
  bandit?: { strategy: BanditStrategy; exploration?: number };
  /** Outcome statistics for this run's agent and goal signature (the platform reads its StatsStore). */
  stats?: (
    context: BrainContext,
    signature: string,
  ) => Promise<readonly ActionStats[]> | readonly ActionStats[];
  /** Failures after which a tool is no longer planned with in this run. @default 2 */
  maxFailuresPerTool?: number;
  /** Plans made after failures before the run gives up. @default 5 */
  maxReplans?: number;
}

/** A finish decision carrying the state. */
export const finish = (
  status: 'succeeded' | 'failed',
  answer: string,
  state: PlannerState,
): BrainDecision => ({
  kind: 'finish',
  status,
  answer,
  brainState: state,
});

/** Reads the outcome of last step's call into the state; returns why a replan is needed, if it is. */
export function observe(
  context: BrainContext,
  state: PlannerState,
  contracts: ContractMap,
): string | undefined {
  const pending = state.pending;
  if (!pending) return undefined;
  state.pending = null;
  const result = resultOf(context.transcript, pending);
  const contract = contracts.get(pending.tool);
  if (result?.ok && contract) {
    state.facts = applyEffects(state.facts, contract);
    state.done.push(pending.tool);
    state.cursor++;
    return undefined;
  }
  state.failures[pending.tool] = (state.failures[pending.tool] ?? 0) + 1;
  state.plan = [];
  state.cursor = 0;
  const why = result?.error ? `${result.error.code}: ${result.error.message}` : 'no result was observed';
  return `${pending.tool} failed (${why})`;
}

/** Makes (or reuses) a plan from the current facts; a finish decision when none exists. */
export function makePlan(
  context: BrainContext,
  options: PlannerBrainOptions,
  state: PlannerState,
  spec: GoalSpec,
  contracts: ContractMap,
  excluded: ReadonlySet<string>,
  replanReason: string | undefined,
): BrainDecision | undefined {
  const reusable = context.reusablePlan;
  const reusedSteps = reusable?.steps.map((step) => step.tool) ?? [];
  const fresh = state.done.length === 0 && state.replans === 0 && replanReason === undefined;
  if (
    reusable &&
    fresh &&
    reusedSteps.length > 0 &&
    !reusedSteps.some((tool) => excluded.has(tool)) &&
    reaches(reusedSteps, state.facts, spec.facts, contracts)
  ) {
    Object.assign(state, { plan: reusedSteps, cursor: 0, reusedPlanId: reusable.id });
    context.emit({
      type: 'plan-update',
      step: context.step,
      plan: reusedSteps,
      reused: true,
      expansions: 0,
      reason: `reusing plan ${reusable.id} (${reusable.successes} successes) for a similar goal`,
    });
    return undefined;
  }
  const maxReplans = options.maxReplans ?? 5;
  if (replanReason !== undefined && state.replans >= maxReplans) {
    return finish('failed', `gave up after ${state.replans} replans; last: ${replanReason}`, state);
  }
  const penalties = new Map(
    Object.entries(state.failures)
      .filter(([tool]) => contracts.has(tool) && !excluded.has(tool))
      .map(([tool, count]) => [tool, 1 + 2 * count] as const),
  );
  const result = plan(
    { initial: state.facts, goal: spec.facts, actions: actionsFromTools(context.tools) },
    {
      exclude: [...excluded],
      penalties,
      learnedCosts: context.learnedCosts,
      ...(options.now ? { now: options.now } : {}),
      ...(options.maxExpansions ? { maxExpansions: options.maxExpansions } : {}),
      ...(options.maxMs ? { maxMs: options.maxMs } : {}),
    },
  );
  if (!result.ok) {
    const after = replanReason ? ` after ${replanReason}` : '';
    return finish('failed', `no plan${after}: ${result.reason}: ${result.message}`, state);
  }
  if (replanReason !== undefined) state.replans++;
  Object.assign(state, { plan: result.actions, cursor: 0, reusedPlanId: null });
  const reason = replanReason
    ? `replanned because ${replanReason}`
    : `planned ${result.actions.length} action(s) for ${spec.facts.join(', ')}`;
  context.emit({
    type: 'plan-update',
    step: context.step,
    plan: result.actions,
    reused: false,
    expansions: result.expansions,
    reason: `${reason} (cost ${result.cost.toFixed(2)})`,
  });
  return undefined;
}

/** Chooses the tool for the next step, with the bandit when several tools can take it. */
export async function chooseTool(
  context: BrainContext,
  options: PlannerBrainOptions,
  state: PlannerState,
  spec: GoalSpec,
  contracts: ContractMap,
  excluded: ReadonlySet<string>,
): Promise<string> {
  const planned = state.plan[state.cursor] ?? '';
  const candidates = alternativesFor(
    planned,
    state.plan.slice(state.cursor + 1),
    state.facts,
    spec.facts,
    contracts,
    excluded,
  );
  if (candidates.length < 2) return planned;
  const stats = (await options.stats?.(context, goalSignature(context.run.goal.text))) ?? [];
  const config = options.bandit ?? { strategy: 'ucb1' as const };
  const choice = choose(
    candidates,
    stats.filter((row) => candidates.includes(row.action)),
    {
      ...config,
      random: mulberry32(seedFrom(`${context.run.id}:${context.step}`)),
    },
  );
  context.emit({
    type: 'decision',
    step: context.step,
    about: 'tool-choice',
    chosen: choice.chosen,
    reason: choice.reason,
    options: choice.scores.map((score) => ({
      id: score.action,
      label: score.action,
      score: score.score,
      detail: {
        trials: score.trials,
        mean: score.mean,
        learnedCost: context.learnedCosts.get(score.action) ?? 1,
      },
    })),
  });
  if (choice.chosen !== planned)
    state.plan = [...state.plan.slice(0, state.cursor), choice.chosen, ...state.plan.slice(state.cursor + 1)];
  return choice.chosen;
}
