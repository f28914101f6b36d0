/**
 * How runs and their events look through the API — and in the CLI's `--json` output, which prints
 * the same representation whether it reads the embedded store or a server.
 */
import type { Explanation, Run, RunEvent } from '@autonoma/core';
import { Budgets, GoalSpec, Priority, RunStatus, Usage, eventTypes, maxGoalLength } from '@autonoma/core';
import { z } from 'zod';

const time = z.number().describe('milliseconds since the epoch, UTC');

/** A run as clients see it: no lease internals, no working memory. */
export const RunView = z
  .object({
    id: z.string(),
    agentId: z.string(),
    parentRunId: z.string().nullable().describe('the run that delegated to this one'),
    rootRunId: z.string().describe('the first run of its delegation tree (its own id at the top)'),
    depth: z.number().int().describe('0 for a run no run delegated; one deeper per delegation'),
    conversationId: z.string().nullable().describe('the conversation whose turn this run answers'),
    goal: z.object({ text: z.string(), spec: GoalSpec.optional() }),
    status: RunStatus,
    version: z.number().int().describe('incremented on every change'),
    priority: Priority,
    budgets: Budgets,
    usage: Usage,
    lastSeq: z.number().int().describe('`seq` of the last stored event'),
    stepCount: z.number().int(),
    workspace: z.string().describe('a workspace id, or the directory of a run started by a local CLI'),
    answer: z.string().nullable(),
    reason: z.string().nullable(),
    wakeAt: time.nullable(),
    createdAt: time,
    updatedAt: time,
    endedAt: time.nullable(),
    finalizedAt: time.nullable().describe('set once `run-end` is stored: the log is complete'),
  })
  .meta({ id: 'Run' });
/** A run as clients see it. */
export type RunView = z.infer<typeof RunView>;

/** A run with the runs it delegated to. */
export const RunDetail = RunView.extend({
  children: z.array(RunView).describe('runs this run delegated to, newest first'),
}).meta({ id: 'RunDetail' });
/** A run with its children. */
export type RunDetail = z.infer<typeof RunDetail>;

/** The client view of a run. */
export function toRunView(run: Run): RunView {
  return RunView.parse({
    id: run.id,
    agentId: run.agentId,
    parentRunId: run.parentRunId,
    rootRunId: run.rootRunId,
    depth: run.depth,
    conversationId: run.conversationId,
    goal: run.goal,
    status: run.status,
    version: run.version,
    priority: run.priority,
    budgets: run.budgets,
    usage: run.usage,
    lastSeq: run.lastSeq,
    stepCount: run.stepCount,
    workspace: run.workspace,
    answer: run.answer,
    reason: run.reason,
    wakeAt: run.wakeAt,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    endedAt: run.endedAt,
    finalizedAt: run.finalizedAt,
  });
}

/** A run with its children, as clients see it. */
export const toRunDetail = (run: Run, children: readonly Run[]): RunDetail => ({
  ...toRunView(run),
  children: children.map(toRunView),
});

/**
 * An event of a run's log (docs/events.md): `type`, `runId`, `seq` (0 for the ephemeral `text-delta`),
 * `at`, and the fields of its type.
 */
export const RunEventView = z
  .object({ type: z.enum(eventTypes), runId: z.string(), seq: z.number().int(), at: time })
  .catchall(z.unknown())
  .meta({ id: 'RunEvent' });
/** An event as clients see it. */
export type RunEventView = z.infer<typeof RunEventView>;

/** The client view of an event. */
export const toRunEventView = (event: RunEvent): RunEventView => RunEventView.parse(event);

/** `POST /v1/runs`. */
export const CreateRunBody = z
  .strictObject({
    goal: z.string().min(1).max(maxGoalLength).describe('the goal, in words'),
    spec: GoalSpec.optional().describe('facts to make true, and inputs'),
    agent: z.string().min(1).max(200).optional().describe('agent name or id (default: the default agent)'),
    priority: Priority.optional(),
    budgets: Budgets.optional().describe("overrides of the agent's budgets"),
  })
  .meta({ id: 'CreateRun' });
/** A create-run request. */
export type CreateRunBody = z.infer<typeof CreateRunBody>;

/** `POST /v1/runs/:id/approvals/:callId`. */
export const ApprovalBody = z.strictObject({
  approve: z.boolean(),
  reason: z.string().max(2000).optional().describe('shown to the brain on a denial'),
});

/** `POST /v1/runs/:id/input`: the answer to the question the run waits on. */
export const InputBody = z.strictObject({
  answer: z.string().min(1).max(20_000).describe('becomes the result of the run’s `ask_user` call'),
});

/** `POST /v1/runs/:id/cancel`. */
export const CancelBody = z.strictObject({ reason: z.string().max(2000).optional() }).nullish();

/** The answer to an approval. */
export const ApprovalResult = z.object({
  run: RunView,
  changed: z.boolean().describe('false when the call was already resolved'),
});

/** The decision trace of a run (`autonoma explain`); see core's `Explanation`. */
export const ExplanationView = z
  .looseObject({
    run: z.looseObject({
      id: z.string(),
      status: RunStatus,
      goal: z.string(),
      answer: z.string().nullable(),
      reason: z.string().nullable(),
      usage: Usage,
    }),
    steps: z.array(z.unknown()),
    lessons: z.array(z.string()),
    memories: z.array(z.unknown()),
    summary: z.looseObject({
      steps: z.number(),
      toolCalls: z.number(),
      failedCalls: z.number(),
      planReused: z.boolean(),
      replans: z.number(),
      expansions: z.number(),
      recalled: z.number(),
    }),
    children: z.array(z.unknown()),
  })
  .meta({ id: 'Explanation' });
/** An explanation as clients see it. */
export type ExplanationView = z.infer<typeof ExplanationView>;

/** The client view of an explanation. */
export const toExplanationView = (explanation: Explanation): ExplanationView =>
  ExplanationView.parse(explanation);
