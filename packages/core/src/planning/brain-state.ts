import { z } from 'zod';
import { stateVersionMismatch } from '../protocol/context.ts';

/** Version of the planner's state schema; states written before versions existed read as version 1. */
export const plannerStateVersion = 1;

/** What the planner brain carries between steps (`Run.brainState`): small JSON, never the history. */
export const PlannerState = z.object({
  kind: z.literal('planner'),
  version: z.literal(plannerStateVersion).default(plannerStateVersion),
  /** The current plan, as tool names. */
  plan: z.array(z.string()),
  /** Index in `plan` of the next action. */
  cursor: z.number().int().nonnegative(),
  /** Facts reached so far, sorted. */
  facts: z.array(z.string()),
  /** Tools that succeeded, in order. */
  done: z.array(z.string()),
  /** Failures per tool in this run. */
  failures: z.record(z.string(), z.number().int().nonnegative()),
  /** Plans made after the first one. */
  replans: z.number().int().nonnegative(),
  /** The call proposed last step, whose result the next step reads. */
  pending: z.object({ tool: z.string(), step: z.number().int() }).nullable(),
  /** Id of the reusable plan being followed, if any. */
  reusedPlanId: z.string().nullable(),
  /** The step that delegated the goal spec's sub-goals, and whether their outcomes were read. */
  delegated: z.object({ step: z.number().int(), settled: z.boolean() }).nullable().default(null),
});
/** The planner brain's state. */
export type PlannerState = z.infer<typeof PlannerState>;

/** The state of a run the planner has not touched yet. */
export const initialPlannerState = (): PlannerState => ({
  kind: 'planner',
  version: plannerStateVersion,
  plan: [],
  cursor: 0,
  facts: [],
  done: [],
  failures: {},
  replans: 0,
  pending: null,
  reusedPlanId: null,
  delegated: null,
});

/**
 * The planner state in a run's `brainState`, or a fresh one when the run has none yet. A stored state
 * that does not parse (written by another version) throws `state_version_mismatch`: resetting it
 * silently would repeat work the run already did.
 */
export function readPlannerState(value: unknown): PlannerState {
  if (value === null || value === undefined) return initialPlannerState();
  const parsed = PlannerState.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw stateVersionMismatch(
    'planner state',
    `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
  );
}
