import type { Agent, AgentSpec } from '../protocol/agent.ts';
import type { EventPayload, RunEvent } from '../protocol/events.ts';
import type {
  Budgets,
  Goal,
  Lease,
  Priority,
  Run,
  RunStatus,
  TerminalStatus,
  Usage,
} from '../protocol/run.ts';

/** Input to create a run. The store assigns nothing but defaults; ids and times come from the caller. */
export interface NewRun {
  id: string;
  orgId: string;
  agentId: string;
  parentRunId?: string | null;
  goal: Goal;
  priority?: Priority;
  budgets: Budgets;
  workspace: string;
  now: number;
  /** When set, a second create with the same key (per org) returns the first run instead. */
  idempotencyKey?: string;
}

/** Filters for listing runs. Newest first; `before` is a cursor (a run id). */
export interface RunFilter {
  orgId: string;
  status?: RunStatus[];
  agentId?: string;
  parentRunId?: string;
  limit?: number;
  before?: string;
}

/** A tool call's result written with the step that produced it. */
export interface ToolCallCompletion {
  key: string;
  status: 'succeeded' | 'failed';
  result: unknown;
  now: number;
}

/** Everything one step commits, in one transaction. */
export interface StepCommit {
  /** Events in emission order; the store assigns `seq` after the run's `lastSeq`. */
  events: EventPayload[];
  /** The run's status after the step. */
  status: RunStatus;
  usage: Usage;
  stepCount: number;
  brainState: unknown;
  answer?: string | null;
  reason?: string | null;
  /** Tool calls finished in this step. */
  toolCalls?: ToolCallCompletion[];
  now: number;
  /** Extends the lease to this time, once less than half of the current lease remains. */
  leaseExpiresAt: number;
}

/** The result of a commit: the run as now stored and the events with their `seq`. */
export interface CommitResult {
  run: Run;
  events: RunEvent[];
}

/** Why a lease could not be taken. */
export interface LeaseRefusal {
  refused: true;
  reason: 'not_found' | 'terminal' | 'held';
  run?: Run;
}

/** Options to acquire a lease. */
export interface AcquireLease {
  owner: string;
  now: number;
  ttlMs: number;
  /** Take the lease even when another owner holds an unexpired one (its owner is known dead). */
  steal?: (holder: string) => boolean;
}

/**
 * Runs and their event log. Every change of a run is a compare-and-set on `(status, version)`
 * or fenced by the lease epoch; a terminal run never changes again.
 */
export interface RunStore {
  create(run: NewRun): Promise<{ run: Run; created: boolean }>;
  get(id: string): Promise<Run | undefined>;
  list(filter: RunFilter): Promise<Run[]>;
  /**
   * Compare-and-set transition. Returns the updated run, or `undefined` when the run is no longer at
   * `expected` (another writer won) or is terminal. Appends `events` in the same transaction.
   */
  transition(
    id: string,
    expected: { status: RunStatus; version: number },
    next: { status: RunStatus; reason?: string | null; answer?: string | null; now: number },
    events?: EventPayload[],
  ): Promise<CommitResult | undefined>;
  /** Takes the run's lease, bumping the fencing epoch. */
  acquireLease(id: string, options: AcquireLease): Promise<Lease | LeaseRefusal>;
  /** Extends a lease; false when it was lost (another owner has a higher epoch). */
  renewLease(lease: Lease, now: number, ttlMs: number): Promise<boolean>;
  /** Gives the lease up (no-op when already lost). */
  releaseLease(lease: Lease): Promise<void>;
  /**
   * Commits a step atomically: events, run state and finished tool calls, fenced by the lease.
   * Throws a `fenced` AutonomaError when the lease was lost or the run is terminal; nothing is written then.
   */
  commitStep(lease: Lease, commit: StepCommit): Promise<CommitResult>;
  /** Appends events outside a step (e.g. an approval resolution), atomically with a CAS on the run. */
  appendEvents(id: string, events: EventPayload[], now: number): Promise<RunEvent[]>;
  /** Events of a run in `seq` order, after `afterSeq`. */
  events(runId: string, afterSeq?: number, limit?: number): Promise<RunEvent[]>;
  /** Runs that are not terminal and whose lease is free or expired: candidates for resumption. */
  resumable(orgId: string | undefined, now: number, limit: number): Promise<Run[]>;
}

/** A journalled tool call. */
export interface ToolCallRecord {
  key: string;
  runId: string;
  step: number;
  callIndex: number;
  tool: string;
  args: unknown;
  argsHash: string;
  status: 'started' | 'succeeded' | 'failed' | 'awaiting_approval' | 'approved' | 'denied';
  result: unknown;
  idempotent: boolean;
  createdAt: number;
  updatedAt: number;
}

/** Tool-call journal: a call is recorded before it runs, and its result when it ends. */
export interface ToolCallJournal {
  /**
   * Records a call as started (or awaiting approval) unless its key exists; returns the stored
   * record and whether this call created it. Fenced: writes nothing when `lease` is no longer current.
   */
  begin(
    lease: Lease,
    record: Omit<ToolCallRecord, 'result' | 'updatedAt'>,
  ): Promise<{ record: ToolCallRecord; created: boolean }>;
  get(key: string): Promise<ToolCallRecord | undefined>;
  listForRun(runId: string): Promise<ToolCallRecord[]>;
  /** Sets the status of a call from one status to another (compare-and-set); false when it was not there. */
  resolve(
    key: string,
    from: ToolCallRecord['status'],
    to: ToolCallRecord['status'],
    result: unknown,
    now: number,
  ): Promise<boolean>;
}

/** Agents. */
export interface AgentStore {
  upsert(orgId: string, spec: AgentSpec, ids: { id: string; now: number }): Promise<Agent>;
  get(orgId: string, idOrName: string): Promise<Agent | undefined>;
  list(orgId: string): Promise<Agent[]>;
  delete(orgId: string, idOrName: string): Promise<boolean>;
}

/** Final-state summary used by commands and reflection. */
export interface RunOutcome {
  status: TerminalStatus;
  answer: string | null;
  reason: string | null;
}
