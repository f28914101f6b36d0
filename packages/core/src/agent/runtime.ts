import type { Brain } from '../brains/brain.ts';
import type { Clock } from '../clock.ts';
import type { ReusablePlan } from '../ports/learning-store.ts';
import type { RunStore, ToolCallJournal } from '../ports/run-store.ts';
import type { Agent } from '../protocol/agent.ts';
import type { ConversationContext } from '../protocol/context.ts';
import type { EventPayload, RecalledMemory, RunEvent } from '../protocol/events.ts';
import type { Lease, Run } from '../protocol/run.ts';
import type { DelegationLimits } from './delegation.ts';
import type { ToolHost } from '../tools/registry.ts';

/** What a run's start prepares for its decisions: recalled memories, a reusable plan, learned costs. */
export interface RunPreparation {
  recalled: RecalledMemory[];
  reusablePlan: ReusablePlan | undefined;
  learnedCosts: ReadonlyMap<string, number>;
  /** Events recorded with the start (e.g. `memory-recall`, a reuse `decision`). */
  events: EventPayload[];
  /** The earlier turns of the conversation the run answers. */
  conversation?: ConversationContext;
}

/** Observed outcome of one executed tool call, for learning. */
export interface ToolObservation {
  tool: string;
  ok: boolean;
  latencyMs: number;
  step: number;
}

/** Learning and memory plug into the loop through these hooks; all optional. */
export interface RunHooks {
  /** Once per run, at its start (step 0); what it returns is persisted with the run's context. */
  prepare?(run: Run, agent: Agent): Promise<RunPreparation>;
  /** After a tool call finished, once its step committed (not for results recovered from the journal). */
  observeTool?(run: Run, agent: Agent, observation: ToolObservation): Promise<void>;
  /**
   * Once the run is terminal and committed: reflection, episodic memory, reusable plans. Sees the final
   * run (usage, answer) and its whole log. Returns the events to append before `run-end`
   * (`memory-write`, `lesson-learned`). Must be idempotent per run: after a crash it runs again, and a
   * second run must write nothing twice.
   */
  reflect?(run: Run, agent: Agent, events: readonly RunEvent[]): Promise<EventPayload[]>;
}

/** An audit record the loop asks to be written (refused calls, approvals). */
export interface LoopAuditEntry {
  action: string;
  target: string;
  detail: Record<string, unknown>;
}

/** The ports the loop runs on. Built by the composition root. */
export interface AgentRuntime {
  runs: RunStore;
  toolCalls: ToolCallJournal;
  tools: ToolHost;
  brain: Brain;
  clock: Clock;
  hooks?: RunHooks;
  /** Writes an audit record; failures of the audit sink fail the step (nothing is silently lost). */
  audit?: (run: Run, entry: LoopAuditEntry) => Promise<void>;
  /** Removes secrets from a value before it is stored or streamed. */
  redact?: <T>(value: T) => T;
  /** The directory a run's tools work in (resolves a workspace id). @default `run.workspace` as is */
  workspaceOf?: (run: Run) => string;
  /** Ids for the run's outbox jobs. @default `job_<runId>_<lastSeq>` */
  jobId?: (run: Run) => string;
  /** How deep delegation goes and how many children a step may start. @default defaultDelegationLimits */
  delegation?: DelegationLimits;
}

/** Receives every event: stored ones after their step commits (with `seq`), `text-delta` as it happens. */
export type EventSink = (event: RunEvent) => void;

/** Options of one {@link advanceRun} call: one slice of a run. */
export interface AdvanceRunOptions {
  run: Run;
  lease: Lease;
  agent: Agent;
  sink?: EventSink;
  /** Aborting it cancels the run: in-flight tools are aborted and no new step starts. */
  signal?: AbortSignal;
  /**
   * Aborting it drains: the step in progress finishes and commits, then the slice ends with the run
   * still runnable (never cancelled) and its next job enqueued.
   */
  drain?: AbortSignal;
  /** Steps this slice may advance before it yields (the run's next job is enqueued). Absent: no limit. */
  sliceSteps?: number;
  /** Lease length; every commit extends the lease by this much. @default 30000 */
  leaseTtlMs?: number;
  /** Identical consecutive tool calls allowed before the loop guard refuses them. @default 3 */
  loopGuardLimit?: number;
  /** Largest JSON size of a tool result kept in the log. @default 32768 */
  resultMaxChars?: number;
}

/** Why a slice ended. */
export type SliceEnd =
  /** The run is terminal (and finalized). */
  | 'ended'
  /** The run waits for something outside (approval, input, children, a wake time). */
  | 'waiting'
  /** The slice used its steps; the run is runnable and its next job is enqueued. */
  | 'yielded'
  /** A drain stopped it after a committed step; the run is runnable. */
  | 'drained';

/** How an {@link advanceRun} call ended. */
export interface AdvanceRunResult {
  run: Run;
  end: SliceEnd;
}
