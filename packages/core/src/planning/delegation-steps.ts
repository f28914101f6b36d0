import type { BrainContext, BrainDecision } from '../brains/brain.ts';
import type { GoalSpec, SubGoal } from '../protocol/run.ts';
import type { PlannerState } from './brain-state.ts';
import { finish } from './planner-steps.ts';

/**
 * The planner's delegation, when the goal spec names sub-goals for specialist agents: the first step
 * hands them all to child runs at once (each with its facts and the parent's inputs overridden by its
 * own); the step after they ended adopts the facts of those that succeeded, so the parent plans only
 * what is left (e.g. writing the report). A failed sub-goal fails the run with the child's reason.
 * Returns a decision to take now, or undefined to go on planning.
 */
export function delegateSubGoals(
  context: BrainContext,
  state: PlannerState,
  spec: GoalSpec,
): BrainDecision | undefined {
  const subGoals = spec.delegate ?? [];
  if (subGoals.length === 0) return undefined;
  if (state.delegated === null) {
    state.delegated = { step: context.step, settled: false };
    context.emit({
      type: 'decision',
      step: context.step,
      about: 'delegation',
      chosen: 'delegate',
      reason: `the goal spec hands ${subGoals.length} sub-goal(s) to specialist agents; they run in parallel as child runs`,
      options: subGoals.map((subGoal, index) => ({
        id: `subgoal#${index + 1}`,
        label: `${subGoal.agent}: ${subGoal.goal}`,
        score: null,
        detail: { facts: subGoal.facts },
      })),
    });
    return {
      kind: 'delegate',
      tasks: subGoals.map((subGoal) => ({
        goal: subGoal.goal,
        agent: subGoal.agent,
        spec: { facts: subGoal.facts, inputs: { ...spec.inputs, ...subGoal.inputs } },
      })),
      brainState: state,
    };
  }
  if (state.delegated.settled) return undefined;
  return settle(context, state, subGoals, state.delegated.step);
}

/** Reads the children's outcomes: their facts hold on success; the first failure fails the run. */
function settle(
  context: BrainContext,
  state: PlannerState,
  subGoals: readonly SubGoal[],
  step: number,
): BrainDecision | undefined {
  const facts = new Set(state.facts);
  for (const [index, subGoal] of subGoals.entries()) {
    const result = context.transcript.find(
      (entry) => entry.kind === 'tool-result' && entry.callId === `${context.run.id}:${step}:${index}`,
    );
    if (result?.kind !== 'tool-result' || !result.ok) {
      const why =
        result?.kind === 'tool-result'
          ? `${result.error?.code ?? 'failed'}: ${result.error?.message ?? ''}`
          : 'no outcome was recorded';
      return finish(
        'failed',
        `sub-goal "${subGoal.goal}" (agent ${subGoal.agent}) did not succeed — ${why}`,
        state,
      );
    }
    for (const fact of subGoal.facts) facts.add(fact);
  }
  state.facts = [...facts].sort();
  state.delegated = { step, settled: true };
  return undefined;
}
