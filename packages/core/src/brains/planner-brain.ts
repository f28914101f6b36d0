import { deriveGoalSpec } from '../goals/derive-goal.ts';
import { readPlannerState } from '../planning/brain-state.ts';
import { effectiveCost } from '../planning/compile.ts';
import { describeOutcome, reaches } from '../planning/plan-execution.ts';
import type { PlannerBrainOptions } from '../planning/planner-steps.ts';
import { chooseTool, finish, makePlan, observe } from '../planning/planner-steps.ts';
import { holds } from '../planning/tool-actions.ts';
import { delegateSubGoals } from '../planning/delegation-steps.ts';
import type { ActionContract } from '../tools/contract.ts';
import type { Brain, BrainContext, BrainDecision } from './brain.ts';

export type { PlannerBrainOptions } from '../planning/planner-steps.ts';

/**
 * The classical planner as a brain: plans over the tools' contracts with A*, follows the plan one
 * call per step, applies effects on success, replans on failure, and finishes when the goal facts
 * hold (or fails with the planner's reason when no plan exists). Deterministic for equal inputs.
 */
export function createPlannerBrain(options: PlannerBrainOptions = {}): Brain {
  return {
    name: 'planner',
    async decide(context: BrainContext): Promise<BrainDecision> {
      const state = readPlannerState(context.brainState);
      const derived = context.run.goal.spec
        ? { ok: true as const, spec: context.run.goal.spec }
        : deriveGoalSpec(context.run.goal.text);
      if (!derived.ok) return finish('failed', derived.message, state);
      const spec = derived.spec;
      const contracts = new Map<string, ActionContract>(
        context.tools.flatMap((tool) => (tool.contract ? [[tool.name, tool.contract] as const] : [])),
      );
      const delegation = delegateSubGoals(context, state, spec);
      if (delegation) return delegation;
      if (contracts.size === 0) {
        // Its sub-goals may have made every fact true: nothing is left to plan.
        if (state.pending === null && holds(state.facts, spec.facts))
          return finish('succeeded', describeOutcome(spec.facts, state.done, context.transcript), state);
        return finish(
          'failed',
          'no allowed tool declares a planner contract (preconditions and effects)',
          state,
        );
      }
      const replanReason = observe(context, state, contracts);
      if (holds(state.facts, spec.facts))
        return finish('succeeded', describeOutcome(spec.facts, state.done, context.transcript), state);
      const maxFailures = options.maxFailuresPerTool ?? 2;
      const excluded = new Set(
        Object.entries(state.failures)
          .filter(([, count]) => count >= maxFailures)
          .map(([tool]) => tool),
      );
      const remaining = state.plan.slice(state.cursor);
      const valid =
        remaining.length > 0 &&
        !remaining.some((tool) => excluded.has(tool)) &&
        reaches(remaining, state.facts, spec.facts, contracts);
      if (!valid) {
        const failed = makePlan(
          context,
          options,
          state,
          spec,
          contracts,
          excluded,
          replanReason ?? (state.plan.length > 0 ? 'the plan no longer fits the facts' : undefined),
        );
        if (failed) return failed;
      }
      const tool = await chooseTool(context, options, state, spec, contracts, excluded);
      const contract = contracts.get(tool);
      const adds = (contract?.effects ?? []).filter((fact) => !state.facts.includes(fact));
      context.emit({
        type: 'decision',
        step: context.step,
        about: 'next-action',
        chosen: tool,
        reason: `step ${state.cursor + 1} of ${state.plan.length}: ${tool} makes ${adds.join(', ') || 'no new fact'} true`,
        options: state.plan.slice(state.cursor).map((name, index) => {
          const descriptor = context.tools.find((candidate) => candidate.name === name);
          const cost = descriptor?.contract
            ? effectiveCost({ name, ...descriptor.contract }, { learnedCosts: context.learnedCosts })
            : null;
          return { id: `${name}#${state.cursor + index + 1}`, label: name, score: cost };
        }),
      });
      const reusedArgs =
        state.reusedPlanId === context.reusablePlan?.id
          ? context.reusablePlan?.steps[state.cursor]?.args
          : undefined;
      const args = contract?.args ? contract.args(spec.inputs, new Set(state.facts)) : (reusedArgs ?? {});
      state.pending = { tool, step: context.step };
      return {
        kind: 'act',
        calls: [{ tool, args }],
        text: `${tool} (step ${state.cursor + 1} of ${state.plan.length})`,
        brainState: state,
      };
    },
  };
}
