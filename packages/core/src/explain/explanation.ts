import type { DecisionOption, ErrorValue, RecalledMemory, StepOutcome } from '../protocol/events.ts';
import type { RunStatus, TerminalStatus, Usage } from '../protocol/run.ts';

/** A decision as explained: what was decided, the options with their scores, the choice and why. */
export interface ExplainedDecision {
  /** What was being decided: `next-action`, `tool-choice`, `plan`, `model`… */
  about: string;
  /** The chosen option's id (or label), or null when nothing was chosen. */
  chosen: string | null;
  reason: string;
  options: DecisionOption[];
  /** Every option chosen, in order, when more than one was (a model calling several tools at once). */
  choices?: string[];
  /** What the options' scores mean, and which are learned. */
  scoring?: string;
  /** `model` when `reason` is the model's own (untrusted) words. */
  reasonSource?: 'brain' | 'model';
}

/** A tool call as explained: what was asked and how it ended. */
export interface ExplainedCall {
  callId: string;
  tool: string;
  /** The (redacted) arguments; absent when the log shows the call's end but not its start. */
  args?: unknown;
  /** Null while no result is recorded (interrupted, or waiting for approval). */
  ok: boolean | null;
  result?: unknown;
  error?: ErrorValue;
  latencyMs?: number;
  /** True when the result came from the journal instead of a new execution. */
  fromJournal?: boolean;
}

/** A plan the step made or reused. */
export interface ExplainedPlan {
  plan: string[];
  reused: boolean;
  /** Planner search expansions, or null when the brain did not report them. */
  expansions: number | null;
  reason: string;
}

/** Memories recalled for one query. */
export interface ExplainedRecall {
  query: string;
  items: RecalledMemory[];
}

/** A budget that crossed its warning ratio. */
export interface ExplainedBudgetWarning {
  budget: 'steps' | 'tokens' | 'cost' | 'wall';
  used: number;
  limit: number;
}

/** A sub-goal handed to a child run, and how the child ended (null while it has not). */
export interface ExplainedDelegation {
  childRunId: string;
  goal: string;
  agent: string;
  status: TerminalStatus | null;
  answer?: string;
}

/** One step of a run, as explained. */
export interface ExplainedStep {
  step: number;
  recalled: ExplainedRecall[];
  plans: ExplainedPlan[];
  decisions: ExplainedDecision[];
  calls: ExplainedCall[];
  approvals: { callId: string; tool: string; reason: string }[];
  errors: ErrorValue[];
  /** How the step ended, or null when its end is not recorded. */
  outcome: StepOutcome | null;
  delegations: ExplainedDelegation[];
  budgetWarnings: ExplainedBudgetWarning[];
}

/** Counts over the whole run. */
export interface ExplanationSummary {
  steps: number;
  toolCalls: number;
  failedCalls: number;
  planReused: boolean;
  /** Plan updates whose reason starts with `replanned`. */
  replans: number;
  expansions: number;
  recalled: number;
}

/**
 * The decision trace of a run (ARCHITECTURE §4, Explainability): per step, what was recalled, planned,
 * decided (options, scores, choice, reason), called and how it ended, and what the run learned. Plain,
 * JSON-serializable data: the CLI, the API and the dashboard each render it their own way.
 */
export interface Explanation {
  run: {
    id: string;
    status: RunStatus;
    goal: string;
    answer: string | null;
    reason: string | null;
    usage: Usage;
  };
  steps: ExplainedStep[];
  lessons: string[];
  memories: { id: string; kind: string; importance: number; text: string }[];
  summary: ExplanationSummary;
  /**
   * Explanations of the runs this one delegated to, for whoever explains a run tree. {@link explainRun}
   * sees one run's log and leaves it empty; the children it delegated to are listed per step.
   */
  children: Explanation[];
}
