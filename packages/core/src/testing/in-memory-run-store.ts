import { conflict, notFound } from '../errors.ts';
import type {
  AcquireLease,
  CommitResult,
  LeaseRefusal,
  NewRun,
  RunFilter,
  RunStore,
  StepCommit,
} from '../ports/run-store.ts';
import { isEphemeral, type EventPayload, type RunEvent } from '../protocol/events.ts';
import { emptyUsage, isTerminal, type Lease, type Run, type RunStatus } from '../protocol/run.ts';

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

/** An in-memory {@link RunStore} with the same compare-and-set and fencing rules as the SQL store. */
export class InMemoryRunStore implements RunStore {
  readonly #runs = new Map<string, Run>();
  readonly #events = new Map<string, RunEvent[]>();
  readonly #idempotency = new Map<string, string>();
  #onCommit: ((runId: string, commit: StepCommit) => void) | undefined;

  /** Lets the journal apply a step's tool-call completions atomically with the commit. */
  onCommit(listener: (runId: string, commit: StepCommit) => void): void {
    this.#onCommit = listener;
  }

  /** True when `lease` is the run's current lease and the run is not terminal. */
  holds(lease: Lease): boolean {
    const run = this.#runs.get(lease.runId);
    return (
      run !== undefined &&
      !isTerminal(run.status) &&
      run.leaseOwner === lease.owner &&
      run.leaseEpoch === lease.epoch
    );
  }

  #append(run: Run, events: EventPayload[], at: number): RunEvent[] {
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

  async create(input: NewRun): Promise<{ run: Run; created: boolean }> {
    const key =
      input.idempotencyKey === undefined ? undefined : `${input.orgId}\u0000${input.idempotencyKey}`;
    const existingId = key === undefined ? undefined : this.#idempotency.get(key);
    const existing = this.#runs.get(existingId ?? input.id);
    if (existing !== undefined) return { run: copy(existing), created: false };
    const run: Run = {
      id: input.id,
      orgId: input.orgId,
      agentId: input.agentId,
      parentRunId: input.parentRunId ?? null,
      goal: copy(input.goal),
      status: 'queued',
      version: 0,
      priority: input.priority ?? 'normal',
      budgets: copy(input.budgets),
      usage: emptyUsage(),
      lastSeq: 0,
      stepCount: 0,
      brainState: null,
      workspace: input.workspace,
      answer: null,
      reason: null,
      leaseOwner: null,
      leaseEpoch: 0,
      leaseExpiresAt: null,
      createdAt: input.now,
      updatedAt: input.now,
      endedAt: null,
    };
    this.#runs.set(run.id, run);
    if (key !== undefined) this.#idempotency.set(key, run.id);
    return { run: copy(run), created: true };
  }

  async get(id: string): Promise<Run | undefined> {
    return copy(this.#runs.get(id));
  }

  async list(filter: RunFilter): Promise<Run[]> {
    const newestFirst = (a: Run, b: Run): number =>
      b.createdAt - a.createdAt || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0);
    const cursor = filter.before === undefined ? undefined : this.#runs.get(filter.before);
    return [...this.#runs.values()]
      .filter(
        (run) =>
          run.orgId === filter.orgId &&
          (filter.status === undefined || filter.status.length === 0 || filter.status.includes(run.status)) &&
          (filter.agentId === undefined || run.agentId === filter.agentId) &&
          (filter.parentRunId === undefined || run.parentRunId === filter.parentRunId) &&
          (filter.before === undefined ||
            (cursor !== undefined && cursor.orgId === filter.orgId && newestFirst(cursor, run) < 0)),
      )
      .sort(newestFirst)
      .slice(0, filter.limit ?? 50)
      .map(copy);
  }

  async transition(
    id: string,
    expected: { status: RunStatus; version: number },
    next: { status: RunStatus; reason?: string | null; answer?: string | null; now: number },
    events?: EventPayload[],
  ): Promise<CommitResult | undefined> {
    const run = this.#runs.get(id);
    if (run === undefined || isTerminal(run.status)) return undefined;
    if (run.status !== expected.status || run.version !== expected.version) return undefined;
    run.status = next.status;
    run.version += 1;
    if (next.reason !== undefined) run.reason = next.reason;
    if (next.answer !== undefined) run.answer = next.answer;
    run.updatedAt = next.now;
    if (isTerminal(next.status)) run.endedAt = next.now;
    const appended = this.#append(run, events ?? [], next.now);
    return { run: copy(run), events: appended };
  }

  async acquireLease(id: string, options: AcquireLease): Promise<Lease | LeaseRefusal> {
    const run = this.#runs.get(id);
    if (run === undefined) return { refused: true, reason: 'not_found' };
    if (isTerminal(run.status)) return { refused: true, reason: 'terminal', run: copy(run) };
    const free =
      run.leaseOwner === null ||
      run.leaseExpiresAt === null ||
      run.leaseExpiresAt < options.now ||
      run.leaseOwner === options.owner ||
      (options.steal?.(run.leaseOwner) ?? false);
    if (!free) return { refused: true, reason: 'held', run: copy(run) };
    run.leaseOwner = options.owner;
    run.leaseEpoch += 1;
    run.leaseExpiresAt = options.now + options.ttlMs;
    return { runId: id, owner: options.owner, epoch: run.leaseEpoch, expiresAt: run.leaseExpiresAt };
  }

  async renewLease(lease: Lease, now: number, ttlMs: number): Promise<boolean> {
    const run = this.#runs.get(lease.runId);
    if (run === undefined || !this.holds(lease)) return false;
    run.leaseExpiresAt = now + ttlMs;
    return true;
  }

  async releaseLease(lease: Lease): Promise<void> {
    const run = this.#runs.get(lease.runId);
    if (run === undefined || run.leaseOwner !== lease.owner || run.leaseEpoch !== lease.epoch) return;
    run.leaseOwner = null;
    run.leaseExpiresAt = null;
  }

  async commitStep(lease: Lease, commit: StepCommit): Promise<CommitResult> {
    const run = this.#runs.get(lease.runId);
    if (run === undefined || !this.holds(lease)) throw fencedError(lease);
    run.status = commit.status;
    run.version += 1;
    run.usage = copy(commit.usage);
    run.stepCount = commit.stepCount;
    run.brainState = copy(commit.brainState ?? null);
    if (commit.answer !== undefined) run.answer = commit.answer;
    if (commit.reason !== undefined) run.reason = commit.reason;
    run.updatedAt = commit.now;
    // Extended only once half of the lease is used, like the SQL stores.
    const renewBelow = commit.now + Math.floor((commit.leaseExpiresAt - commit.now) / 2);
    if (run.leaseExpiresAt === null || run.leaseExpiresAt < renewBelow)
      run.leaseExpiresAt = commit.leaseExpiresAt;
    if (isTerminal(commit.status)) run.endedAt = commit.now;
    const appended = this.#append(run, commit.events, commit.now);
    this.#onCommit?.(run.id, commit);
    return { run: copy(run), events: appended };
  }

  async appendEvents(id: string, events: EventPayload[], now: number): Promise<RunEvent[]> {
    const run = this.#runs.get(id);
    if (run === undefined) throw notFound('run', id);
    run.updatedAt = Math.max(run.updatedAt, now);
    return this.#append(run, events, now);
  }

  async events(runId: string, afterSeq = 0, limit = 1000): Promise<RunEvent[]> {
    return (this.#events.get(runId) ?? [])
      .filter((event) => event.seq > afterSeq)
      .slice(0, limit)
      .map(copy);
  }

  async resumable(orgId: string | undefined, now: number, limit: number): Promise<Run[]> {
    return [...this.#runs.values()]
      .filter(
        (run) =>
          !isTerminal(run.status) &&
          (orgId === undefined || run.orgId === orgId) &&
          (run.leaseOwner === null || run.leaseExpiresAt === null || run.leaseExpiresAt < now),
      )
      .sort(
        (a, b) =>
          priorityRank[a.priority] - priorityRank[b.priority] ||
          a.createdAt - b.createdAt ||
          (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      )
      .slice(0, limit)
      .map(copy);
  }
}
