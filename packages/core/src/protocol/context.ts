import { z } from 'zod';
import { AutonomaError } from '../errors.ts';
import { ErrorValue, RecalledMemory } from './events.ts';

/** One entry of a run's working memory: what the brain sees of the run so far. */
export const TranscriptEntry = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('assistant'),
    step: z.number().int(),
    text: z.string(),
    calls: z.array(z.object({ callId: z.string(), tool: z.string(), args: z.unknown() })),
  }),
  z.object({
    kind: z.literal('tool-result'),
    step: z.number().int(),
    callId: z.string(),
    tool: z.string(),
    ok: z.boolean(),
    result: z.unknown().optional(),
    error: ErrorValue.optional(),
  }),
  z.object({ kind: z.literal('note'), step: z.number().int(), text: z.string() }),
  z.object({ kind: z.literal('summary'), text: z.string(), coversSteps: z.number().int() }),
]);
/** A working-memory entry. */
export type TranscriptEntry = z.infer<typeof TranscriptEntry>;

/** A reusable plan as carried in a run's context (see `ReusablePlan` in the learning ports). */
const CarriedPlan = z.looseObject({
  id: z.string(),
  steps: z.array(z.object({ tool: z.string(), args: z.unknown() })),
});

/** Version of the {@link RunContext} schema; a stored context of another version is refused. */
export const runContextVersion = 1;

/**
 * The bounded working-memory projection persisted with every step (the `runs.context` column). A slice
 * rebuilds what the brain sees from it, never from the whole event log: its transcript is bounded by
 * the agent's `memory.workingTokens` (older entries folded into a summary), and `throughSeq` says which
 * events it already holds, so a slice reads only what was appended since (an approval, an answer).
 */
export const RunContext = z.object({
  version: z.literal(runContextVersion),
  /** `seq` of the last event folded into this context. */
  throughSeq: z.number().int().nonnegative(),
  transcript: z.array(TranscriptEntry),
  /** Calls the brain made that have no result yet (awaiting approval), id → tool name. */
  open: z.record(z.string(), z.string()),
  /** The loop guard: the last call's signature and how many times in a row it was made. */
  guard: z.object({ last: z.string(), count: z.number().int().nonnegative() }),
  /** What the run's start (step 0) prepared: recalled memories, a reusable plan, learned costs. */
  preparation: z.object({
    recalled: z.array(RecalledMemory),
    reusablePlan: CarriedPlan.nullable(),
    learnedCosts: z.array(z.tuple([z.string(), z.number()])),
  }),
});
/** A run's persisted working memory. */
export type RunContext = z.infer<typeof RunContext>;

/** The error of run state (context, brain state, an event) stored by another version of Autonoma. */
export const stateVersionMismatch = (what: string, detail: string): AutonomaError =>
  new AutonomaError(
    'state_version_mismatch',
    `the stored ${what} of this run cannot be read by this version of Autonoma: ${detail}`,
    { category: 'system', status: 409 },
  );

/** Parses a stored context; throws `state_version_mismatch` when it no longer parses. */
export function parseRunContext(value: unknown): RunContext {
  const parsed = RunContext.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw stateVersionMismatch(
    'working memory',
    `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
  );
}

/** Version of stored events' payloads (`run_events.schema_version`). */
export const eventSchemaVersion = 1;
