import type { Agent, AgentSpec } from '../protocol/agent.ts';
import type { RunContext, RunPreparationState } from '../protocol/context.ts';
import type { EventPayload, RunEvent } from '../protocol/events.ts';
import { leaseIsFree } from '../protocol/run.ts';
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

/**
 * An outbox entry: "this run is runnable", written in the same transaction as the change that made it
 * so. A relay hands it to the queue's transport; the local queue reads it directly.
 */
export interface Enqueue {
  /** Id of the job row. */
  jobId: string;
  /** Not before this time (a sleeping run's wake time). @default now */
  runAt?: number;
  /**
   * The W3C trace context (`traceparent`, `tracestate`) of whoever made the run runnable. The job's
   * payload carries the run's own context ({@link NewRun.trace}) as `trace`, so that the worker's spans
   * join the run's trace; this one stands in for a run stored without one. @default none
   */
  trace?: Readonly<Record<string, string>>;
}

/** Input to create a run. The store assigns nothing but defaults; ids and times come from the caller. */
export interface NewRun {
  id: string;
  orgId: string;
  agentId: string;
  parentRunId?: string | null;
  /** How deep in a delegation tree. @default 0 */
  depth?: number;
  /** The first run of its delegation tree. @default the run itself */
  rootRunId?: string;
  /** The conversation whose turn it answers. */
  conversationId?: string | null;
  /**
   * The W3C trace context (`traceparent`, `tracestate`) the run's spans belong under, stored with it:
   * every job of the run — its first, the next after each slice, one a sweeper writes after a worker
   * died, a parent's wake-up — carries it, so all its slices are one trace. A child run has its
   * parent's. @default none (its jobs carry the context of whoever enqueued them, if any)
   */
  trace?: Readonly<Record<string, string>>;
  goal: Goal;
  priority?: Priority;
  budgets: Budgets;
  /** A workspace id, or an absolute path for a run a local CLI advances itself (see `Run.workspace`). */
  workspace: string;
  now: number;
  /** When set, a second create with the same key (per org) returns the first run instead. */
  idempotencyKey?: string;
  /**
   * A hash of the request that carried `idempotencyKey`, stored with the run; a later create with the
   * same key gets it back (`CreatedRun.idempotencyHash`) to tell a retry from a different request.
   */
  idempotencyHash?: string;
  /**
   * Keys expire: a run created before this time no longer holds its key, and the key starts a new run.
   * @default keys never expire
   */
  idempotencyNotBefore?: number;
  /** Writes the run's first job in the same transaction. Absent: the creator advances it itself. */
  enqueue?: Enqueue;
}

/** The result of {@link RunStore.create}. */
export interface CreatedRun {
  run: Run;
  /** False when the id or the idempotency key already named a run: `run` is that run. */
  created: boolean;
  /** When not created through an idempotency key: the request hash stored with the existing run. */
  idempotencyHash?: string | null;
}

/** Filters for listing runs. Newest first; `before` is a cursor (a run id). */
export interface RunFilter {
  orgId: string;
  status?: RunStatus[];
  agentId?: string;
  parentRunId?: string;
  conversationId?: string;
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
  /**
   * The run's `lastSeq` the events follow. When other events were appended meanwhile (outside the
   * step), the commit writes nothing and throws `stale`: the caller folds them in and commits again.
   */
  expectedLastSeq: number;
  /** The run's status after the step. */
  status: RunStatus;
  usage: Usage;
  stepCount: number;
  brainState: unknown;
  /** The working-memory projection after this step; absent when it did not change. */
  context?: RunContext;
  /** What the run's start prepared: written by the start (step 0) only. */
  preparation?: RunPreparationState;
  answer?: string | null;
  reason?: string | null;
  /** Tool calls finished in this step. */
  toolCalls?: ToolCallCompletion[];
  /**
   * When the run sleeps: the time it becomes runnable again; when it waits for an answer: when its
   * wall-time budget runs out. Ignored, and cleared, for any other status.
   */
  wakeAt?: number | null;
  /** The run needs another slice (it yields while runnable): its next job, in the same transaction. */
  enqueue?: Enqueue;
  /**
   * The run's log ends with this (terminal) commit — its events end with `run-end` and there is no
   * reflection to wait for — so the run is finalized in the same statement.
   */
  finalize?: boolean;
  /**
   * Child runs the step delegated to (status `waiting_children`): created in the same transaction, each
   * with its job, and counted as the run's open children. A child whose id exists is not created again.
   */
  children?: NewRun[];
  now: number;
  /** Extends the lease to this time, once less than half of the current lease remains. */
  leaseExpiresAt: number;
}

/** The result of a commit: the run as now stored and the events with their `seq`. */
export interface CommitResult {
  run: Run;
  events: RunEvent[];
  /** Descendants a cascading cancel ended (see {@link Transition.cascade}). */
  cascaded?: string[];
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
 * Whether `acquireLease` may take the run's lease: it is free ({@link leaseIsFree}), already the
 * acquirer's, or held by an owner `steal` gives up on. Status is the caller's concern.
 */
export function mayTakeLease(run: Run, options: AcquireLease): boolean {
  if (leaseIsFree(run, options.now) || run.leaseOwner === options.owner) return true;
  return run.leaseOwner !== null && (options.steal?.(run.leaseOwner) ?? false);
}

/** Which claimable runs to list. */
export interface ClaimQuery {
  now: number;
  limit: number;
  /** Only this organization's runs. @default every organization */
  orgId?: string;
  /**
   * Count leases held by other owners as free. Only for the embedded process holding the store's lock:
   * it knows no other process advances anything, so every lease it does not hold is orphaned.
   * @default false
   */
  ignoreLeases?: boolean;
}

/** A compare-and-set state change outside a step (cancel, approval, an answer…). */
export interface Transition {
  status: RunStatus;
  reason?: string | null;
  answer?: string | null;
  now: number;
  /** Events appended in the same transaction. */
  events?: EventPayload[];
  /** The change makes the run runnable: its job, in the same transaction. */
  enqueue?: Enqueue;
  /**
   * With a `cancelled` status: every unfinished descendant (children, their children…) is cancelled in
   * the same transaction, with the same reason. Their ids are returned in `cascaded`.
   */
  cascade?: boolean;
}

/**
 * Runs and their event log. Every read and write names the organization: a run of another
 * organization reads as not found. Every change of a run is a compare-and-set on `(status, version)`
 * or fenced by the lease epoch; a terminal run never changes state again. When a child run ends (its
 * terminal commit or transition), its parent's count of open children drops in the same transaction;
 * the last one makes a parent in `waiting_children` `queued`, with its job.
 */
export interface RunStore {
  create(run: NewRun): Promise<CreatedRun>;
  get(orgId: string, id: string): Promise<Run | undefined>;
  list(filter: RunFilter): Promise<Run[]>;
  /**
   * Compare-and-set transition. Returns the updated run and its appended events, or `undefined` when
   * the run is no longer at `expected` (another writer won) or is terminal.
   */
  transition(
    orgId: string,
    id: string,
    expected: { status: RunStatus; version: number },
    next: Transition,
  ): Promise<CommitResult | undefined>;
  /** Takes the run's lease, bumping the fencing epoch. */
  acquireLease(orgId: string, id: string, options: AcquireLease): Promise<Lease | LeaseRefusal>;
  /** Extends a lease; false when it was lost (another owner has a higher epoch). */
  renewLease(lease: Lease, now: number, ttlMs: number): Promise<boolean>;
  /** Gives the lease up (no-op when already lost). */
  releaseLease(lease: Lease): Promise<void>;
  /**
   * Commits a step atomically: events, run state, its context and finished tool calls, fenced by the
   * lease. Throws a `fenced` AutonomaError when the lease was lost or the run is terminal; nothing is
   * written then. Throws `store_rejected` when the store refuses the data for good.
   */
  commitStep(lease: Lease, commit: StepCommit): Promise<CommitResult>;
  /** Appends events outside a step (e.g. an approval resolution) with no change of state. */
  appendEvents(orgId: string, id: string, events: EventPayload[], now: number): Promise<RunEvent[]>;
  /** Events of a run in `seq` order, after `afterSeq`, at most `limit`. */
  events(orgId: string, runId: string, afterSeq?: number, limit?: number): Promise<RunEvent[]>;
  /**
   * Runs a process may take up now: runnable (`queued`, `running`, or `sleeping` or `waiting_input` whose wake time has
   * come) with no live lease; highest priority first, then oldest. Filtered before the limit.
   */
  claimable(query: ClaimQuery): Promise<Run[]>;
  /**
   * Ends a terminal run's log once: appends `events` (reflection's, then `run-end`) and marks the run
   * finalized, in one transaction. Returns undefined (and writes nothing) when it was already finalized.
   */
  finalize(orgId: string, id: string, events: EventPayload[], now: number): Promise<RunEvent[] | undefined>;
  /** Terminal runs whose log was not finalized (a process died after their terminal commit). */
  unfinalized(query: { orgId?: string; endedBefore: number; limit: number }): Promise<Run[]>;
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
  get(orgId: string, key: string): Promise<ToolCallRecord | undefined>;
  /** Every call of a run, in step and index order. */
  listForRun(orgId: string, runId: string): Promise<ToolCallRecord[]>;
  /**
   * The calls a step must finish before its brain is asked anything: this step's journalled calls
   * (started or finished before a crash) and approved calls of any step, in step and index order.
   */
  pending(orgId: string, runId: string, step: number): Promise<ToolCallRecord[]>;
  /** Sets the status of a call from one status to another (compare-and-set); false when it was not there. */
  resolve(
    orgId: string,
    key: string,
    change: { from: ToolCallRecord['status']; to: ToolCallRecord['status']; result: unknown; now: number },
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
