import type { Brain } from '../brains/brain.ts';
import type { Clock } from '../clock.ts';
import type { ReusablePlan } from '../ports/learning-store.ts';
import type { RunStore, ToolCallJournal } from '../ports/run-store.ts';
import type { Agent } from '../protocol/agent.ts';
import type { EventPayload, RecalledMemory, RunEvent, StepOutcome } from '../protocol/events.ts';
import type { Lease, Run } from '../protocol/run.ts';
import type { ToolHost } from '../tools/registry.ts';

/** What the loop knows before its first decision: recalled memories, a reusable plan, learned costs. */
export interface RunPreparation {
  recalled: RecalledMemory[];
  reusablePlan: ReusablePlan | undefined;
  learnedCosts: ReadonlyMap<string, number>;
  /** Events to record with the next step (e.g. `memory-recall`, a reuse `decision`). */
  events: EventPayload[];
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
  /** Once per start or resume, before the first decision. */
  prepare?(run: Run, agent: Agent): Promise<RunPreparation>;
  /** After a tool call finished (not for results replayed from the journal). */
  observeTool?(run: Run, agent: Agent, observation: ToolObservation): Promise<void>;
  /**
   * When the run is about to end: reflection, episodic memory, reusable plans. The returned events
   * (`memory-write`, `lesson-learned`) are committed with the final step. Must be idempotent per run.
   */
  reflect?(
    run: Run,
    agent: Agent,
    outcome: Extract<StepOutcome, { kind: 'final' }>,
    events: readonly RunEvent[],
  ): Promise<EventPayload[]>;
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
}

/** Receives every event: stored ones after their step commits (with `seq`), `text-delta` as it happens. */
export type EventSink = (event: RunEvent) => void;

/** Options of one {@link runAgent} call. */
export interface RunAgentOptions {
  run: Run;
  lease: Lease;
  agent: Agent;
  sink?: EventSink;
  /** Aborting it cancels the run: in-flight tools are aborted and no new step starts. */
  signal?: AbortSignal;
  /** Steps to advance before yielding (a job slice). Absent: until the run stops. */
  maxSteps?: number;
  /** Lease length; every commit extends the lease by this much. @default 30000 */
  leaseTtlMs?: number;
  /** Identical consecutive tool calls allowed before the loop guard refuses them. @default 3 */
  loopGuardLimit?: number;
  /** Largest JSON size of a tool result kept in the log. @default 32768 */
  resultMaxChars?: number;
}

/** How a {@link runAgent} call ended. */
export interface RunAgentResult {
  run: Run;
  /** True when the slice ended and the run still has work to do. */
  yielded: boolean;
}
