import { z } from 'zod';
import { findUnstorable } from './storable.ts';

/** Every state a run can be in (ARCHITECTURE §3, Contract). */
export const runStatuses = [
  'queued',
  'running',
  'waiting_approval',
  'waiting_children',
  'waiting_input',
  'sleeping',
  'succeeded',
  'failed',
  'cancelled',
  'budget_exceeded',
  'needs_review',
] as const;
export const RunStatus = z.enum(runStatuses);
/** A run state. */
export type RunStatus = z.infer<typeof RunStatus>;

/** The states a run ends in; a run in one of them never changes state again. */
export const terminalStatuses = [
  'succeeded',
  'failed',
  'cancelled',
  'budget_exceeded',
  'needs_review',
] as const;
export const TerminalStatus = z.enum(terminalStatuses);
/** A terminal run state. */
export type TerminalStatus = z.infer<typeof TerminalStatus>;

/** True when `status` is terminal. */
export const isTerminal = (status: RunStatus): status is TerminalStatus =>
  (terminalStatuses as readonly string[]).includes(status);

/** Limits a run may not exceed. Absent means unlimited (but the agent's defaults usually set them). */
export const Budgets = z.strictObject({
  maxSteps: z.number().int().positive().optional(),
  maxTokens: z.number().int().positive().optional(),
  maxCostUsd: z.number().positive().optional(),
  maxWallMs: z.number().int().positive().optional(),
});
/** Run budgets. */
export type Budgets = z.infer<typeof Budgets>;

/** What a run has consumed so far. */
export const Usage = z.object({
  steps: z.number().int().nonnegative(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  costUsd: z.number().nonnegative(),
  modelCalls: z.number().int().nonnegative(),
  toolCalls: z.number().int().nonnegative(),
  wallMs: z.number().nonnegative(),
});
/** Run usage. */
export type Usage = z.infer<typeof Usage>;

/** Usage of a run that has not done anything yet. */
export const emptyUsage = (): Usage => ({
  steps: 0,
  inputTokens: 0,
  outputTokens: 0,
  costUsd: 0,
  modelCalls: 0,
  toolCalls: 0,
  wallMs: 0,
});

/** Largest goal text accepted, in characters. */
export const maxGoalLength = 20_000;

/**
 * A sub-goal a goal spec hands to a specialist agent: a child run with its own spec (its facts, and
 * the parent's inputs overridden by its own). When it succeeds, its facts hold for the parent too.
 */
export const SubGoal = z.strictObject({
  agent: z.string().min(1),
  goal: z.string().trim().min(1).max(maxGoalLength),
  facts: z.array(z.string().min(1)).min(1),
  inputs: z.record(z.string(), z.unknown()).default({}),
});
/** A sub-goal. */
export type SubGoal = z.infer<typeof SubGoal>;

/**
 * A formal goal: facts to make true, plus named inputs the actions may use, and optionally sub-goals
 * for specialist agents, delegated first (in parallel).
 */
export const GoalSpec = z.strictObject({
  facts: z.array(z.string().min(1)).min(1),
  inputs: z.record(z.string(), z.unknown()).default({}),
  delegate: z.array(SubGoal).min(1).optional(),
});
/** A formal goal spec. */
export type GoalSpec = z.infer<typeof GoalSpec>;

/** A goal: text, and optionally a formal spec. NUL characters are refused (the store cannot hold them). */
export const Goal = z
  .strictObject({
    text: z
      .string()
      .trim()
      .min(1, 'the goal is empty')
      .max(maxGoalLength, `the goal is longer than ${maxGoalLength} characters`),
    spec: GoalSpec.optional(),
  })
  .superRefine((goal, context) => {
    const path = findUnstorable(goal);
    if (path !== undefined)
      context.addIssue({
        code: 'custom',
        path: path.split('.'),
        message: 'contains a NUL character or broken Unicode, which cannot be stored',
      });
  });
/** A goal. */
export type Goal = z.infer<typeof Goal>;

/** Priority of a run's work in the queue. */
export const Priority = z.enum(['critical', 'high', 'normal', 'low']);
/** A priority. */
export type Priority = z.infer<typeof Priority>;

/** A run as stored. */
export interface Run {
  id: string;
  orgId: string;
  agentId: string;
  parentRunId: string | null;
  /** 0 for a run started by a user or a schedule; a child run is one deeper than its parent. */
  depth: number;
  /** The first run of its delegation tree (its own id for a run no run delegated). */
  rootRunId: string;
  /** The conversation whose turn this run answers, if any. */
  conversationId: string | null;
  goal: Goal;
  status: RunStatus;
  /** Incremented on every committed change; the compare-and-set token. */
  version: number;
  priority: Priority;
  budgets: Budgets;
  usage: Usage;
  /** Sequence number of the last committed event (0 when none). */
  lastSeq: number;
  /** Number of committed steps. */
  stepCount: number;
  /** Small, brain-owned state carried between steps (e.g. the current plan). Never the history. */
  brainState: unknown;
  /**
   * The working-memory projection persisted with the last step (a `RunContext`, parsed by the loop),
   * or null before the run started.
   */
  context: unknown;
  /** What the run's start prepared (a `RunPreparationState`), or null before it started. */
  preparation: unknown;
  /**
   * Where the tools work: a workspace id, resolved under `$AUTONOMA_HOME/workspaces/<id>` by whichever
   * process advances the run, or an absolute path for a run a local CLI started with `--workspace`.
   */
  workspace: string;
  answer: string | null;
  /** Why the run ended (failed, needs_review, budget_exceeded…). */
  reason: string | null;
  leaseOwner: string | null;
  leaseEpoch: number;
  leaseExpiresAt: number | null;
  /**
   * When a sleeping run becomes runnable again; for a run waiting for an answer, when its wall-time
   * budget runs out (it then ends `budget_exceeded`). Null otherwise.
   */
  wakeAt: number | null;
  createdAt: number;
  updatedAt: number;
  endedAt: number | null;
  /** When the run's log was finalized (reflection written, `run-end` appended); null until then. */
  finalizedAt: number | null;
}

/** A lease over a run: only its holder, with this epoch, may commit. */
export interface Lease {
  runId: string;
  orgId: string;
  owner: string;
  epoch: number;
  expiresAt: number;
}

/**
 * True when no one holds the run's lease at `now`: never taken, released, or expired. The SQL run store
 * tests the same condition with `leaseFree` (platform `store/repositories/run-rows.ts`).
 */
/** True when a run with a wake time has a use for it: sleeping, or waiting for an answer until then. */
export const keepsWakeTime = (status: RunStatus): boolean =>
  status === 'sleeping' || status === 'waiting_input';

export const leaseIsFree = (run: Pick<Run, 'leaseOwner' | 'leaseExpiresAt'>, now: number): boolean =>
  run.leaseOwner === null || run.leaseExpiresAt === null || run.leaseExpiresAt < now;
