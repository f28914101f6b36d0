import { AutonomaError, conflict, notFound } from '../errors.ts';
import type {
  AcquireLease,
  ClaimQuery,
  CommitResult,
  CreatedRun,
  Enqueue,
  LeaseRefusal,
  NewRun,
  RunFilter,
  RunStore,
  StepCommit,
  Transition,
} from '../ports/run-store.ts';
import { mayTakeLease } from '../ports/run-store.ts';
import { isEphemeral, type EventPayload, type RunEvent } from '../protocol/events.ts';
import {
  emptyUsage,
  isTerminal,
  keepsWakeTime,
  leaseIsFree,
  type Lease,
  type Run,
  type RunStatus,
} from '../protocol/run.ts';
import { findUnstorable } from '../protocol/storable.ts';

const priorityRank: Record<Run['priority'], number> = { critical: 0, high: 1, normal: 2, low: 3 };

/** A deep copy, so callers never alias stored state. */
export const copy = <T>(value: T): T => (value === undefined ? value : structuredClone(value));

/** The fenced error every store throws when a lease is no longer current. */
export const fencedError = (lease: Lease): Error =>
  conflict('fenced', `the lease on run '${lease.runId}' (epoch ${lease.epoch}) is no longer held`, {
    runId: lease.runId,
    owner: lease.owner,
    epoch: lease.epoch,
  });

/** What PostgreSQL answers to a NUL or broken Unicode in a value: a permanent refusal. */
export function refuseUnstorable(value: unknown): void {
  const path = findUnstorable(value);
  if (path === undefined) return;
  throw new AutonomaError(
    'store_rejected',
    `the store refused the statement: unsupported Unicode escape sequence at ${path} (SQLSTATE 22P05)`,
    { details: { sqlState: '22P05' } },
  );
}

/** A job the in-memory outbox holds (the SQL stores write a `jobs` row). */
export interface OutboxEntry extends Enqueue {
  runId: string;
  orgId: string;
}

const runnableNow = (run: Run, now: number): boolean =>
  run.status === 'queued' ||
  run.status === 'running' ||
  (keepsWakeTime(run.status) && run.wakeAt !== null && run.wakeAt <= now);

/** An in-memory {@link RunStore} with the same compare-and-set and fencing rules as the SQL store. */
export class InMemoryRunStore implements RunStore {
  readonly #runs = new Map<string, Run>();
  readonly #events = new Map<string, RunEvent[]>();
  /** `org \u0001 key` → the run holding the key and the hash of the request that carried it. */
  readonly #idempotency = new Map<string, { runId: string; hash: string | null }>();
  readonly #outbox: OutboxEntry[] = [];
  /** Open children per parent run (the SQL stores' `runs.children_open`). */
  readonly #childrenOpen = new Map<string, number>();
  #onCommit: ((runId: string, commit: StepCommit) => void) | undefined;

  /** Lets the journal apply a step's tool-call completions atomically with the commit. */
  onCommit(listener: (runId: string, commit: StepCommit) => void): void {
    this.#onCommit = listener;
  }

  /** The jobs written so far, oldest first (what a relay would hand to the queue). */
  outbox(): OutboxEntry[] {
    return copy(this.#outbox);
  }

  /** True when `lease` is the run's current lease and the run is not terminal. */
  holds(lease: Lease): boolean {
    const run = this.#runs.get(lease.runId);
    return (
      run !== undefined &&
      run.orgId === lease.orgId &&
      !isTerminal(run.status) &&
      run.leaseOwner === lease.owner &&
      run.leaseEpoch === lease.epoch
    );
  }

  /** The organization of a run, if it exists (for the journal's org checks). */
  orgOf(runId: string): string | undefined {
    return this.#runs.get(runId)?.orgId;
  }

  #visible(orgId: string, id: string): Run | undefined {
    const run = this.#runs.get(id);
    return run !== undefined && run.orgId === orgId ? run : undefined;
  }

  #append(run: Run, events: readonly EventPayload[], at: number): RunEvent[] {
    const stored = events.filter((event) => !isEphemeral(event));
    const log = this.#events.get(run.id) ?? [];
    const appended = stored.map((event, index) => ({
      ...copy(event),
      runId: run.id,
      seq: run.lastSeq + index + 1,
      at,
    }));
    log.push(...appended);
    this.#events.set(run.id, log);
    run.lastSeq += stored.length;
    return copy(appended);
  }

  #enqueue(run: Run, enqueue: Enqueue | undefined): void {
    if (enqueue === undefined) return;
    // Nothing takes jobs from this outbox, so every entry is pending: like the SQL stores' one pending
    // job per dedupe key (`run:<id>`), a run that already has one gets no second, but that one is due
    // at the earlier of the two times.
    const pending = this.#outbox.find((entry) => entry.jobId === enqueue.jobId || entry.runId === run.id);
    if (pending === undefined) {
      this.#outbox.push({ ...enqueue, runId: run.id, orgId: run.orgId });
      return;
    }
    if (pending.runAt !== undefined) {
      if (enqueue.runAt === undefined) delete pending.runAt;
      else pending.runAt = Math.min(pending.runAt, enqueue.runAt);
    }
  }

  async create(input: NewRun): Promise<CreatedRun> {
    return this.#create(input);
  }

  /** Creates a run at once (a step commit creates its children with no await in between). */
  #create(input: NewRun): CreatedRun {
    refuseUnstorable(input);
    const key =
      input.idempotencyKey === undefined ? undefined : `${input.orgId}\u0001${input.idempotencyKey}`;
    let holder = key === undefined ? undefined : this.#idempotency.get(key);
    const holderRun = holder === undefined ? undefined : this.#runs.get(holder.runId);
    if (
      key !== undefined &&
      holderRun !== undefined &&
      input.idempotencyNotBefore !== undefined &&
      holderRun.createdAt < input.idempotencyNotBefore
    ) {
      // The key expired: it starts a new run.
      this.#idempotency.delete(key);
      holder = undefined;
    }
    const existing = this.#runs.get(holder?.runId ?? input.id);
    if (existing !== undefined)
      return {
        run: copy(existing),
        created: false,
        ...(holder === undefined ? {} : { idempotencyHash: holder.hash }),
      };
    const run: Run = {
      id: input.id,
      orgId: input.orgId,
      agentId: input.agentId,
      parentRunId: input.parentRunId ?? null,
      depth: input.depth ?? 0,
      rootRunId: input.rootRunId ?? input.id,
      conversationId: input.conversationId ?? null,
      goal: copy(input.goal),
      status: 'queued',
      version: 0,
      priority: input.priority ?? 'normal',
      budgets: copy(input.budgets),
      usage: emptyUsage(),
      lastSeq: 0,
      stepCount: 0,
      brainState: null,
      context: null,
      preparation: null,
      workspace: input.workspace,
      answer: null,
      reason: null,
      leaseOwner: null,
      leaseEpoch: 0,
      leaseExpiresAt: null,
      wakeAt: null,
      createdAt: input.now,
      updatedAt: input.now,
      endedAt: null,
      finalizedAt: null,
    };
    this.#runs.set(run.id, run);
    if (key !== undefined) this.#idempotency.set(key, { runId: run.id, hash: input.idempotencyHash ?? null });
    this.#enqueue(run, input.enqueue);
    return { run: copy(run), created: true };
  }

  async get(orgId: string, id: string): Promise<Run | undefined> {
    return copy(this.#visible(orgId, id));
  }

  async list(filter: RunFilter): Promise<Run[]> {
    const newestFirst = (a: Run, b: Run): number =>
      b.createdAt - a.createdAt || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0);
    const cursor = filter.before === undefined ? undefined : this.#visible(filter.orgId, filter.before);
    return [...this.#runs.values()]
      .filter(
        (run) =>
          run.orgId === filter.orgId &&
          (filter.status === undefined || filter.status.length === 0 || filter.status.includes(run.status)) &&
          (filter.agentId === undefined || run.agentId === filter.agentId) &&
          (filter.parentRunId === undefined || run.parentRunId === filter.parentRunId) &&
          (filter.conversationId === undefined || run.conversationId === filter.conversationId) &&
          (filter.before === undefined || (cursor !== undefined && newestFirst(cursor, run) < 0)),
      )
      .sort(newestFirst)
      .slice(0, filter.limit ?? 50)
      .map(copy);
  }

  async transition(
    orgId: string,
    id: string,
    expected: { status: RunStatus; version: number },
    next: Transition,
  ): Promise<CommitResult | undefined> {
    refuseUnstorable(next);
    const run = this.#visible(orgId, id);
    if (run === undefined || isTerminal(run.status)) return undefined;
    if (run.status !== expected.status || run.version !== expected.version) return undefined;
    run.status = next.status;
    run.version += 1;
    if (next.reason !== undefined) run.reason = next.reason;
    if (next.answer !== undefined) run.answer = next.answer;
    run.updatedAt = next.now;
    if (!keepsWakeTime(next.status)) run.wakeAt = null;
    if (isTerminal(next.status)) run.endedAt = next.now;
    const appended = this.#append(run, next.events ?? [], next.now);
    this.#enqueue(run, next.enqueue);
    const cascaded =
      next.cascade === true && next.status === 'cancelled' ? this.#cancelDescendants(run, next) : undefined;
    if (isTerminal(next.status)) this.#childEnded(run, next.now);
    return { run: copy(run), events: appended, ...(cascaded ? { cascaded } : {}) };
  }

  /** Cancels every unfinished descendant of `root`, with the same reason. */
  #cancelDescendants(root: Run, next: Transition): string[] {
    const cancelled: string[] = [];
    const parents = [root.id];
    while (parents.length > 0) {
      const parentId = parents.shift();
      for (const run of this.#runs.values()) {
        if (run.parentRunId !== parentId || run.orgId !== root.orgId) continue;
        parents.push(run.id);
        if (isTerminal(run.status)) continue;
        run.status = 'cancelled';
        run.version += 1;
        run.reason = next.reason ?? 'cancelled with its parent';
        run.wakeAt = null;
        run.updatedAt = next.now;
        run.endedAt = next.now;
        cancelled.push(run.id);
      }
    }
    return cancelled;
  }

  /**
   * A child ended: its parent has one open child fewer, and the last one makes a parent waiting for
   * its children runnable, with its job (as in the same transaction in the SQL stores).
   */
  #childEnded(child: Run, now: number): void {
    if (child.parentRunId === null) return;
    const open = this.#childrenOpen.get(child.parentRunId) ?? 0;
    const parent = this.#runs.get(child.parentRunId);
    if (open <= 0 || parent === undefined || parent.orgId !== child.orgId) return;
    this.#childrenOpen.set(parent.id, open - 1);
    parent.version += 1;
    parent.updatedAt = Math.max(parent.updatedAt, now);
    if (open === 1 && parent.status === 'waiting_children') {
      parent.status = 'queued';
      this.#enqueue(parent, { jobId: `job_wake_${parent.id}_${child.id}` });
    }
  }

  async acquireLease(orgId: string, id: string, options: AcquireLease): Promise<Lease | LeaseRefusal> {
    const run = this.#visible(orgId, id);
    if (run === undefined) return { refused: true, reason: 'not_found' };
    if (isTerminal(run.status)) return { refused: true, reason: 'terminal', run: copy(run) };
    if (!mayTakeLease(run, options)) return { refused: true, reason: 'held', run: copy(run) };
    run.leaseOwner = options.owner;
    run.leaseEpoch += 1;
    run.leaseExpiresAt = options.now + options.ttlMs;
    return { runId: id, orgId, owner: options.owner, epoch: run.leaseEpoch, expiresAt: run.leaseExpiresAt };
  }

  async renewLease(lease: Lease, now: number, ttlMs: number): Promise<boolean> {
    const run = this.#runs.get(lease.runId);
    if (run === undefined || !this.holds(lease)) return false;
    run.leaseExpiresAt = now + ttlMs;
    return true;
  }

  async releaseLease(lease: Lease): Promise<void> {
    const run = this.#runs.get(lease.runId);
    if (
      run === undefined ||
      run.orgId !== lease.orgId ||
      run.leaseOwner !== lease.owner ||
      run.leaseEpoch !== lease.epoch
    )
      return;
    run.leaseOwner = null;
    run.leaseExpiresAt = null;
  }

  async commitStep(lease: Lease, commit: StepCommit): Promise<CommitResult> {
    const run = this.#runs.get(lease.runId);
    if (run === undefined || !this.holds(lease)) throw fencedError(lease);
    if (run.lastSeq !== commit.expectedLastSeq)
      throw conflict('stale', `run '${run.id}' has events after seq ${commit.expectedLastSeq}`);
    refuseUnstorable(commit);
    run.status = commit.status;
    run.version += 1;
    run.usage = copy(commit.usage);
    run.stepCount = commit.stepCount;
    run.brainState = copy(commit.brainState ?? null);
    if (commit.context !== undefined) run.context = copy(commit.context);
    if (commit.preparation !== undefined) run.preparation = copy(commit.preparation);
    if (commit.answer !== undefined) run.answer = commit.answer;
    if (commit.reason !== undefined) run.reason = commit.reason;
    run.wakeAt = keepsWakeTime(commit.status) ? (commit.wakeAt ?? null) : null;
    run.updatedAt = commit.now;
    // Extended only once half of the lease is used, like the SQL stores.
    const renewBelow = commit.now + Math.floor((commit.leaseExpiresAt - commit.now) / 2);
    if (run.leaseExpiresAt === null || run.leaseExpiresAt < renewBelow)
      run.leaseExpiresAt = commit.leaseExpiresAt;
    if (isTerminal(commit.status)) run.endedAt = commit.now;
    if (isTerminal(commit.status) && commit.finalize === true) run.finalizedAt = commit.now;
    const appended = this.#append(run, commit.events, commit.now);
    this.#enqueue(run, commit.enqueue);
    if (commit.children !== undefined && commit.children.length > 0) {
      for (const child of commit.children) if (!this.#runs.has(child.id)) this.#create(child);
      this.#childrenOpen.set(run.id, commit.children.length);
    }
    if (isTerminal(commit.status)) this.#childEnded(run, commit.now);
    this.#onCommit?.(run.id, commit);
    return { run: copy(run), events: appended };
  }

  async appendEvents(orgId: string, id: string, events: EventPayload[], now: number): Promise<RunEvent[]> {
    refuseUnstorable(events);
    const run = this.#visible(orgId, id);
    if (run === undefined) throw notFound('run', id);
    run.updatedAt = Math.max(run.updatedAt, now);
    return this.#append(run, events, now);
  }

  async events(orgId: string, runId: string, afterSeq = 0, limit = 1000): Promise<RunEvent[]> {
    if (this.#visible(orgId, runId) === undefined) return [];
    return (this.#events.get(runId) ?? [])
      .filter((event) => event.seq > afterSeq)
      .slice(0, limit)
      .map(copy);
  }

  async claimable(query: ClaimQuery): Promise<Run[]> {
    return [...this.#runs.values()]
      .filter(
        (run) =>
          runnableNow(run, query.now) &&
          (query.orgId === undefined || run.orgId === query.orgId) &&
          (query.ignoreLeases === true || leaseIsFree(run, query.now)),
      )
      .sort(
        (a, b) =>
          priorityRank[a.priority] - priorityRank[b.priority] ||
          a.createdAt - b.createdAt ||
          (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      )
      .slice(0, query.limit)
      .map(copy);
  }

  async finalize(
    orgId: string,
    id: string,
    events: EventPayload[],
    now: number,
  ): Promise<RunEvent[] | undefined> {
    refuseUnstorable(events);
    const run = this.#visible(orgId, id);
    if (run === undefined || !isTerminal(run.status) || run.finalizedAt !== null) return undefined;
    run.finalizedAt = now;
    return this.#append(run, events, now);
  }

  async unfinalized(query: { orgId?: string; endedBefore: number; limit: number }): Promise<Run[]> {
    return [...this.#runs.values()]
      .filter(
        (run) =>
          isTerminal(run.status) &&
          run.finalizedAt === null &&
          run.endedAt !== null &&
          run.endedAt < query.endedBefore &&
          (query.orgId === undefined || run.orgId === query.orgId),
      )
      .sort((a, b) => (a.endedAt ?? 0) - (b.endedAt ?? 0))
      .slice(0, query.limit)
      .map(copy);
  }
}
