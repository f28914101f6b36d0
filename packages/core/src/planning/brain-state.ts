import { z } from 'zod';

/** What the planner brain carries between steps (`Run.brainState`): small JSON, never the history. */
export const PlannerState = z.object({
  kind: z.literal('planner'),
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
});
/** The planner brain's state. */
export type PlannerState = z.infer<typeof PlannerState>;

/** The state of a run the planner has not touched yet. */
export const initialPlannerState = (): PlannerState => ({
  kind: 'planner',
  plan: [],
  cursor: 0,
  facts: [],
  done: [],
  failures: {},
  replans: 0,
  pending: null,
  reusedPlanId: null,
});

/** The planner state in a run's `brainState`, or a fresh one when absent or not the planner's. */
export function readPlannerState(value: unknown): PlannerState {
  const parsed = PlannerState.safeParse(value);
  return parsed.success ? parsed.data : initialPlannerState();
}
