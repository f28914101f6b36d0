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
export const runContextVersion = 3;

/**
 * The bounded working-memory projection persisted with every step (the `runs.context` column). What
 * the brain sees is a window of the run's recent events plus a summary of everything before it: a
 * slice reads the summary from here and only the events from `windowFromSeq` on — never the whole log,
 * and never more than the agent's `memory.workingTokens` worth of steps. When the window outgrows the
 * budget, its oldest steps are folded into the summary and the window moves. Small, and written only
 * when it changes (the window moves, a call starts or stops waiting): it holds a pointer, the summary
 * and open calls, not the transcript. The loop guard's streak is recomputed from the window's calls.
 */
export const RunContext = z.object({
  version: z.literal(runContextVersion),
  /** The window: the transcript is rebuilt from the events with `seq >= windowFromSeq`. */
  windowFromSeq: z.number().int().positive(),
  /** What the window no longer holds, summarized (an extractive summary by default). */
  summary: z.object({ text: z.string(), coversSteps: z.number().int().nonnegative() }).nullable(),
  /** Calls the brain made that have no result yet (awaiting approval or an answer), id → tool name. */
  open: z.record(z.string(), z.string()),
});
/** A run's persisted working memory. */
export type RunContext = z.infer<typeof RunContext>;

/**
 * The earlier turns of the conversation a run answers (ARCHITECTURE §3): the most recent ones as they
 * were, the older ones summarized, so that what the brain sees stays bounded however long the thread.
 */
export const ConversationContext = z.object({
  /** What the turns before `turns` said, summarized; null when every earlier turn is in `turns`. */
  summary: z.string().nullable(),
  /** Earlier turns, oldest first: the user's message and the agent's answer (null when it had none). */
  turns: z.array(z.object({ user: z.string(), agent: z.string().nullable(), status: z.string() })),
});
/** A conversation's earlier turns, as a run of it sees them. */
export type ConversationContext = z.infer<typeof ConversationContext>;

/**
 * What the run's start (step 0) prepared for its decisions: recalled memories, a reusable plan, learned
 * costs, the conversation so far. Persisted once (`runs.preparation`), never recomputed by a later slice.
 */
export const RunPreparationState = z.object({
  recalled: z.array(RecalledMemory),
  reusablePlan: CarriedPlan.nullable(),
  learnedCosts: z.array(z.tuple([z.string(), z.number()])),
  conversation: ConversationContext.nullable().default(null),
});
/** A run's persisted preparation. */
export type RunPreparationState = z.infer<typeof RunPreparationState>;

/** The error of run state (context, brain state, an event) stored by another version of Autonoma. */
export const stateVersionMismatch = (what: string, detail: string): AutonomaError =>
  new AutonomaError(
    'state_version_mismatch',
    `the stored ${what} of this run cannot be read by this version of Autonoma: ${detail}`,
    { category: 'system', status: 409 },
  );

/** Parses stored run state; throws `state_version_mismatch` when it no longer parses. */
function parseStored<T>(schema: z.ZodType<T>, what: string, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw stateVersionMismatch(what, `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
}

/** Parses a stored context; throws `state_version_mismatch` when it no longer parses. */
export const parseRunContext = (value: unknown): RunContext =>
  parseStored(RunContext, 'working memory', value);

/** Parses a stored preparation; throws `state_version_mismatch` when it no longer parses. */
export const parseRunPreparation = (value: unknown): RunPreparationState =>
  parseStored(RunPreparationState, 'preparation', value);

/** Version of stored events' payloads (`run_events.schema_version`). */
export const eventSchemaVersion = 1;
