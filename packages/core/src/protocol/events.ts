import { z } from 'zod';
import { Budgets, GoalSpec, RunStatus, TerminalStatus, Usage } from './run.ts';

const TokenUsage = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
});

/** One option a decision weighed. */
export const DecisionOption = z.object({
  id: z.string(),
  label: z.string(),
  score: z.number().nullable(),
  /** Statistics or other facts behind the score. */
  detail: z.record(z.string(), z.unknown()).optional(),
});
/** A decision option. */
export type DecisionOption = z.infer<typeof DecisionOption>;

/** A remembered item surfaced by recall, with the parts of its score. */
export const RecalledMemory = z.object({
  id: z.string(),
  kind: z.string(),
  text: z.string(),
  score: z.number(),
  relevance: z.number(),
  recency: z.number(),
  importance: z.number(),
});
/** A recalled memory. */
export type RecalledMemory = z.infer<typeof RecalledMemory>;

/** A sub-goal handed to a child run. */
export const DelegatedTask = z.object({
  goal: z.string().min(1),
  /** The child's agent, by name. @default the parent's agent */
  agent: z.string().optional(),
  /** The child's agent id, once resolved (the `delegate` tool resolves it). */
  agentId: z.string().optional(),
  /** The child's formal goal, when it has one (a planner's sub-goal). */
  spec: GoalSpec.optional(),
  /** Budgets asked for the child; the loop carves them from what the parent has left. */
  budgets: Budgets.optional(),
  /** The `delegate` call that created the child (its result is the child's outcome). */
  callId: z.string().optional(),
  /** The child run, derived from `callId` (so a retried step never creates a second child). */
  childRunId: z.string().optional(),
});
/** A delegated sub-goal. */
export type DelegatedTask = z.infer<typeof DelegatedTask>;

/** How a step ended: a closed union, persisted as is (ARCHITECTURE §4). */
export const StepOutcome = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('continue') }),
  z.object({
    kind: z.literal('final'),
    status: TerminalStatus,
    answer: z.string().optional(),
    reason: z.string().optional(),
  }),
  z.object({
    kind: z.literal('delegate'),
    tasks: z.array(DelegatedTask).min(1),
    /** The tool call that delegated, when a tool did. */
    callId: z.string().optional(),
  }),
  z.object({
    kind: z.literal('interrupt'),
    on: z.enum(['approval', 'input']),
    callId: z.string().optional(),
    /** The question put to the user (`on: 'input'`). */
    question: z.string().optional(),
  }),
  z.object({ kind: z.literal('sleep'), until: z.number(), callId: z.string().optional() }),
]);
/** A step outcome. */
export type StepOutcome = z.infer<typeof StepOutcome>;

/** The error a tool or model call produced, as the brain sees it. */
export const ErrorValue = z.object({ code: z.string(), message: z.string() });
/** An error value. */
export type ErrorValue = z.infer<typeof ErrorValue>;

const step = z.number().int().nonnegative();

/**
 * Every event a run emits (ARCHITECTURE §3, Contract). `text-delta` is ephemeral: streamed, never stored.
 * Payload only; the store adds `runId`, `seq` and `at`.
 */
export const EventPayload = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('run-start'),
    goal: z.string(),
    agent: z.string(),
    brain: z.string(),
    resumed: z.boolean().default(false),
  }),
  z.object({
    type: z.literal('run-end'),
    status: TerminalStatus,
    answer: z.string().optional(),
    reason: z.string().optional(),
    usage: Usage,
  }),
  z.object({ type: z.literal('step-start'), step }),
  z.object({
    type: z.literal('step-end'),
    step,
    outcome: StepOutcome,
    status: RunStatus,
    /** How long the step took, from its start to its commit (absent on steps stored before it was kept). */
    durationMs: z.number().nonnegative().optional(),
  }),
  z.object({
    type: z.literal('decision'),
    step,
    /** What was being decided: `next-action`, `tool-choice`, `plan`, `model`… */
    about: z.string(),
    options: z.array(DecisionOption),
    chosen: z.string().nullable(),
    reason: z.string(),
    /**
     * Every option chosen, in order, when the decision chose more than one (a model calling several
     * tools in one step); `chosen` is the first of them. Absent when one or none was chosen.
     */
    choices: z.array(z.string()).optional(),
    /** What the options' scores mean, and which of them are learned (absent: the brain's own scores). */
    scoring: z.string().optional(),
    /**
     * Whose words `reason` is: `model` — the model's own text, untrusted and bounded; `brain` — written
     * by the brain from what it knows. @default 'brain'
     */
    reasonSource: z.enum(['brain', 'model']).optional(),
  }),
  z.object({
    type: z.literal('plan-update'),
    step,
    plan: z.array(z.string()),
    reason: z.string(),
    reused: z.boolean().default(false),
    expansions: z.number().int().nonnegative().optional(),
  }),
  z.object({ type: z.literal('model-call-start'), step, callId: z.string(), model: z.string() }),
  z.object({
    type: z.literal('model-call-end'),
    step,
    callId: z.string(),
    model: z.string(),
    usage: TokenUsage,
    costUsd: z.number().nonnegative(),
    latencyMs: z.number().nonnegative(),
    finishReason: z.string().optional(),
    text: z.string().optional(),
    error: ErrorValue.optional(),
  }),
  z.object({ type: z.literal('text-delta'), step, delta: z.string() }),
  z.object({
    type: z.literal('tool-call-start'),
    step,
    callId: z.string(),
    tool: z.string(),
    args: z.unknown(),
  }),
  z.object({
    type: z.literal('tool-call-end'),
    step,
    callId: z.string(),
    tool: z.string(),
    ok: z.boolean(),
    result: z.unknown().optional(),
    error: ErrorValue.optional(),
    latencyMs: z.number().nonnegative(),
    /** True when the result came from the journal instead of a new execution. */
    fromJournal: z.boolean().default(false),
  }),
  z.object({
    type: z.literal('approval-request'),
    step,
    callId: z.string(),
    tool: z.string(),
    args: z.unknown(),
    risk: z.string(),
    reason: z.string(),
  }),
  z.object({
    type: z.literal('approval-resolve'),
    callId: z.string(),
    approved: z.boolean(),
    reason: z.string().optional(),
    by: z.string().optional(),
  }),
  z.object({
    type: z.literal('delegate-start'),
    step,
    childRunId: z.string(),
    goal: z.string(),
    agent: z.string(),
  }),
  z.object({
    type: z.literal('delegate-end'),
    step,
    childRunId: z.string(),
    status: TerminalStatus,
    answer: z.string().optional(),
  }),
  z.object({ type: z.literal('memory-recall'), step, query: z.string(), items: z.array(RecalledMemory) }),
  z.object({
    type: z.literal('memory-write'),
    memoryId: z.string(),
    kind: z.string(),
    text: z.string(),
    importance: z.number(),
  }),
  z.object({
    type: z.literal('lesson-learned'),
    lesson: z.string(),
    source: z.enum(['model', 'statistics']),
  }),
  z.object({
    type: z.literal('budget-warning'),
    budget: z.enum(['steps', 'tokens', 'cost', 'wall']),
    used: z.number(),
    limit: z.number(),
  }),
  z.object({ type: z.literal('error'), step: step.optional(), code: z.string(), message: z.string() }),
]);
/** An event payload. */
export type EventPayload = z.infer<typeof EventPayload>;
/** The `type` of an event. */
export type EventType = EventPayload['type'];
/** The event types, in the Contract's order. */
export const eventTypes = EventPayload.options.map((option) => option.shape.type.value);

/** An event as stored and streamed: payload plus run id, per-run sequence and time. */
export type RunEvent = EventPayload & { runId: string; seq: number; at: number };

/** An event of one type. */
export type EventOf<T extends EventType> = Extract<EventPayload, { type: T }>;

/** True for events that are streamed but never stored. */
export const isEphemeral = (event: EventPayload): boolean => event.type === 'text-delta';
