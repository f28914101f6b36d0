import type {
  AdvanceRunResult,
  Agent,
  AgentRuntime,
  AgentStore,
  AuditLog,
  Brain,
  Budgets,
  Clock,
  CreatedRun,
  DelegationLimits,
  Enqueue,
  EventBus,
  EventPayload,
  EventSink,
  GoalSpec,
  IdGenerator,
  Lease,
  NewRun,
  Priority,
  Run,
  RunEvent,
  RunFilter,
  RunHooks,
  RunStore,
  Scope,
  ToolCallJournal,
  ToolCallRecord,
  ToolHost,
} from '@autonoma/core';
import {
  AutonomaError,
  Goal,
  advanceRun,
  askUserToolName,
  conflict,
  defaultAgentName,
  defaultDelegationLimits,
  finalizeRun,
  findUnstorable,
  isTerminal,
  notFound,
  parseRunContext,
  readRunLog,
  userError,
} from '@autonoma/core';
import type { RunObserver } from '../observability/run-observer.ts';
import type { RunIntake } from '../store/repositories/run-intake.ts';
import type { Redactor } from '../security/redact.ts';
import { checkWorkspaceDirectory } from '../runtime/workspace-directory.ts';
import { rateLimited } from './auth-service.ts';

/** The tools of one agent for one advance (built-ins plus its MCP servers), closed afterwards. */
export interface ScopedTools {
  host: ToolHost;
  close(): Promise<void>;
}

/** Everything the run service needs; built by the composition root. */
export interface RunServiceDeps {
  runs: RunStore;
  toolCalls: ToolCallJournal;
  agents: AgentStore;
  audit: AuditLog;
  tools: ToolHost;
  /**
   * The tools of an agent for one run (e.g. with its MCP servers, confined to the run's workspace).
   * @default the shared `tools`
   */
  toolsFor?: (agent: Agent, run: Run) => Promise<ScopedTools>;
  brainFor: (agent: Agent) => Brain;
  hooks?: RunHooks;
  clock: Clock;
  ids: IdGenerator;
  redact: Redactor;
  /** Committed events are published here (and `text-delta` as it streams); cancels arrive here. */
  bus?: EventBus;
  /** This process's lease owner id. */
  owner: string;
  /** Whether a lease held by another owner may be taken before it expires. */
  canSteal: (holder: string) => boolean;
  /** True when this process alone can use the store (embedded, under the data directory's lock). */
  ownsStore?: boolean;
  /** Autonoma's home (AUTONOMA_HOME): no run may use it, or its data directory, as a workspace. */
  home?: string;
  /** The directory a run's tools work in (resolves a workspace id). @default `run.workspace` */
  workspaceOf?: (run: Run) => string;
  /** @default 30000 */
  leaseTtlMs?: number;
  /**
   * Called after this service may have written jobs (a run started, approved or answered for a queue,
   * a slice that yielded, drained, delegated or ended a child): wakes this process's queue consumers or
   * relay at once instead of at their next poll.
   */
  outboxWritten?: () => void;
  /** How deep runs may delegate and how many children a step may start. @default defaultDelegationLimits */
  delegation?: DelegationLimits;
  /** Called once a run this service advanced, cancelled or finalized has ended (at least once). */
  onEnded?: (run: Run) => Promise<void>;
  /** Observes the runs this service advances and ends: metrics, traces, logs (observability/). */
  observe?: RunObserver;
  /**
   * Stores a create that carries a `quota` or an `audit` entry: the quota, the run, its job and its
   * audit entry in one transaction, group-committed with concurrent creates (store/repositories/run-intake.ts).
   * @default none: such a create is refused as an internal error
   */
  intake?: RunIntake;
}

/** Input to start a run. */
export interface StartRun {
  goal: string;
  spec?: GoalSpec;
  agent?: string;
  /**
   * An existing directory the tools work in, for a run this process advances itself (the CLI's
   * `--workspace`). Absent: the run gets its own workspace id, resolved under
   * `$AUTONOMA_HOME/workspaces/<id>` by whichever process advances it.
   */
  workspace?: string;
  budgets?: Budgets;
  priority?: Priority;
  /**
   * A second start with the same key (per organization) within {@link idempotencyWindowMs} returns the
   * first run; after it, the key starts a new run.
   */
  idempotencyKey?: string;
  /** A hash of the request that carried `idempotencyKey`: the same key with another hash is refused. */
  requestHash?: string;
  parentRunId?: string;
  /** The run's id, when the caller fixes it (a conversation's turn). @default a new id */
  id?: string;
  /** The conversation whose turn the run answers. */
  conversationId?: string;
  /** A workspace id (`ws_…`) the run shares with others (a conversation's turns). @default its own */
  workspaceId?: string;
  /** Write the run's first job in the same transaction (runs a queue advances). @default false */
  enqueue?: boolean;
  /**
   * The organization's limit on runs queued or running, counted in the transaction that stores the run
   * (so concurrent creates cannot pass it): at it, the create throws `rate_limited`. @default no limit
   */
  quota?: number;
  /**
   * The audit entry of this create (by the caller, in its organization, now), committed in the same
   * transaction as the run; given whether the run was created or found by its idempotency key. None is
   * written for a create that throws. @default no entry
   */
  audit?: (outcome: { runId: string; created: boolean }) => {
    action: string;
    target: string;
    detail: Record<string, unknown>;
  };
}

/** How long a client refused by the run quota is told to wait. */
const quotaRetryAfterMs = 5_000;

/** Options to advance a run. */
export interface AdvanceOptions {
  sink?: EventSink;
  /** Cancels the run. */
  signal?: AbortSignal;
  /** Stops after the step in progress, leaving the run runnable (a worker draining on SIGTERM). */
  drain?: AbortSignal;
  /** Steps before the slice yields. @default no limit */
  sliceSteps?: number;
}

/** A resolved approval. */
export interface ApprovalDecision {
  approved: boolean;
  reason?: string;
}

/** How long an idempotency key names the run it created: 24 hours. */
export const idempotencyWindowMs = 24 * 60 * 60 * 1000;

const runnable = (run: Run): boolean => run.status === 'queued' || run.status === 'running';

/** Longest answer to an `ask_user` question, in characters. */
export const maxAnswerLength = 20_000;

/** The `ask_user` call a run waiting for input waits on, from its persisted context. */
function openQuestion(run: Run): string | undefined {
  if (run.context === null) return undefined;
  const { open } = parseRunContext(run.context);
  return Object.entries(open).find(([, tool]) => tool === askUserToolName)?.[0];
}

/**
 * Runs, for every interface: create, read, advance, cancel, approve. Every method takes the caller's
 * scope; a run of another organization is not found. Errors are domain errors; each interface words
 * its own hints.
 */
export class RunService {
  readonly #deps: RunServiceDeps;
  readonly #active = new Map<string, AbortController>();

  constructor(deps: RunServiceDeps) {
    this.#deps = deps;
    // A cancel requested in another process reaches the one advancing the run at once.
    deps.bus?.onSignal((runId, signal) => {
      if (signal.type === 'cancel')
        this.#active
          .get(runId)
          ?.abort(new AutonomaError('cancelled', signal.reason ?? 'cancelled by request'));
    });
  }

  /** The named agent, or the default agent; `not_found` when it does not exist. */
  async agent(scope: Scope, name: string | undefined): Promise<Agent> {
    const wanted = name ?? defaultAgentName;
    const found = await this.#deps.agents.get(scope.orgId, wanted);
    if (!found) throw notFound('agent', wanted);
    return found;
  }

  /**
   * Validates and stores a new run in `queued`. Nothing runs yet (unless `enqueue`, which writes its
   * job in the same transaction). Throws `invalid_workspace` for a workspace that is not an existing
   * directory, or is Autonoma's own.
   */
  async start(scope: Scope, input: StartRun): Promise<Run> {
    return (await this.create(scope, input)).run;
  }

  /**
   * {@link start}, telling whether the run is new: `created` is false when `input.idempotencyKey`
   * already named a run (created within {@link idempotencyWindowMs}), which is returned. The same key
   * with another `requestHash` throws `idempotency_mismatch`.
   */
  async create(scope: Scope, input: StartRun): Promise<{ run: Run; created: boolean }> {
    const deps = this.#deps;
    const parsedGoal = Goal.safeParse({ text: input.goal, ...(input.spec ? { spec: input.spec } : {}) });
    if (!parsedGoal.success) {
      const issue = parsedGoal.error.issues[0];
      throw userError(
        'invalid_goal',
        `invalid goal: ${issue?.path.join('.') || 'text'}: ${issue?.message ?? 'invalid'}`,
      );
    }
    if (input.workspace !== undefined) {
      await checkWorkspaceDirectory(input.workspace, {
        ...(deps.home === undefined ? {} : { home: deps.home }),
      });
    }
    const agent = await this.agent(scope, input.agent);
    const id = input.id ?? deps.ids.next('run');
    const now = deps.clock.now();
    // Every job of the run continues this trace (the request's, the job's, or a root of its own).
    const trace = deps.observe?.runTraceContext({ id, orgId: scope.orgId, agent: agent.name });
    const newRun: NewRun = {
      id,
      orgId: scope.orgId,
      agentId: agent.id,
      parentRunId: input.parentRunId ?? null,
      ...(input.conversationId === undefined ? {} : { conversationId: input.conversationId }),
      goal: parsedGoal.data,
      priority: input.priority ?? 'normal',
      budgets: { ...agent.budgets, ...input.budgets },
      workspace: input.workspace ?? input.workspaceId ?? `ws_${id.replace(/^run_/, '')}`,
      now,
      ...(input.idempotencyKey
        ? {
            idempotencyKey: input.idempotencyKey,
            idempotencyNotBefore: now - idempotencyWindowMs,
            ...(input.requestHash ? { idempotencyHash: input.requestHash } : {}),
          }
        : {}),
      ...(trace ? { trace } : {}),
      ...(input.enqueue ? { enqueue: { jobId: deps.ids.next('job'), ...(trace ? { trace } : {}) } } : {}),
    };
    // The same key with another request hash: a different request, refused (and not audited).
    const mismatched = (result: Pick<CreatedRun, 'created' | 'idempotencyHash'>): boolean =>
      !result.created &&
      input.idempotencyKey !== undefined &&
      (result.idempotencyHash ?? null) !== (input.requestHash ?? null);
    let result: CreatedRun;
    if (input.quota === undefined && input.audit === undefined) result = await deps.runs.create(newRun);
    else {
      if (!deps.intake)
        throw new AutonomaError(
          'internal',
          'this run service cannot store a create with a quota or an audit entry',
        );
      const audit = input.audit;
      const outcome = await deps.intake.submit({
        run: newRun,
        ...(input.quota === undefined ? {} : { quota: input.quota }),
        audit: (outcome) =>
          audit === undefined || mismatched(outcome)
            ? undefined
            : {
                orgId: scope.orgId,
                actor: scope.actor,
                ...audit({ runId: outcome.runId, created: outcome.created }),
                at: now,
              },
      });
      if (outcome.refused)
        throw rateLimited(
          `the organization has ${outcome.active} runs queued or running (its quota is ${input.quota}); wait for some to finish`,
          quotaRetryAfterMs,
        );
      result = outcome;
    }
    if (input.enqueue && result.created) deps.outboxWritten?.();
    if (mismatched(result)) {
      throw new AutonomaError(
        'idempotency_mismatch',
        `idempotency key '${input.idempotencyKey}' was already used for a different request`,
        { category: 'user' },
      );
    }
    return { run: result.run, created: result.created };
  }

  /** A run of the caller's organization, or `not_found`. */
  async get(scope: Scope, runId: string): Promise<Run> {
    const run = await this.#deps.runs.get(scope.orgId, runId);
    if (!run) throw notFound('run', runId);
    return run;
  }

  /** Runs of the caller's organization, newest first. */
  list(scope: Scope, filter: Omit<RunFilter, 'orgId'> = {}): Promise<Run[]> {
    return this.#deps.runs.list({ ...filter, orgId: scope.orgId });
  }

  /** A run's stored events after `afterSeq` (all of them by default). */
  async events(scope: Scope, runId: string, afterSeq = 0): Promise<RunEvent[]> {
    const run = await this.get(scope, runId);
    return readRunLog(this.#deps.runs, run, afterSeq);
  }

  /** A run's journalled tool calls. */
  async toolCalls(scope: Scope, runId: string): Promise<ToolCallRecord[]> {
    const run = await this.get(scope, runId);
    return this.#deps.toolCalls.listForRun(run.orgId, run.id);
  }

  /** Checks a run can be resumed (not terminal, not waiting on a human), then advances it. */
  async resume(scope: Scope, runId: string, options: AdvanceOptions = {}): Promise<AdvanceRunResult> {
    const run = await this.get(scope, runId);
    if (isTerminal(run.status) && run.finalizedAt !== null)
      throw conflict('run_terminal', `run ${runId} already ended: ${run.status}`);
    if (run.status === 'waiting_approval')
      throw conflict('awaiting_approval', `run ${runId} is waiting for a tool call to be approved or denied`);
    return this.advanceTree(scope, runId, options);
  }

  /**
   * Takes the run's lease and advances it by one slice (or until it stops). The lease is renewed while
   * the loop runs; if it is lost, in-flight tools are aborted and nothing more commits. A terminal run
   * whose log was never finalized (its process died) is finalized.
   */
  async advance(scope: Scope, runId: string, options: AdvanceOptions = {}): Promise<AdvanceRunResult> {
    const deps = this.#deps;
    const ttl = deps.leaseTtlMs ?? 30_000;
    const run = await this.get(scope, runId);
    if (isTerminal(run.status)) {
      if (run.finalizedAt !== null)
        throw conflict('run_terminal', `run ${runId} already ended: ${run.status}`);
      return { run: await this.#finalize(run), end: 'ended' };
    }
    const lease = await deps.runs.acquireLease(run.orgId, runId, {
      owner: deps.owner,
      now: deps.clock.now(),
      ttlMs: ttl,
      steal: deps.canSteal,
    });
    if ('refused' in lease) {
      if (lease.reason === 'not_found') throw notFound('run', runId);
      if (lease.reason === 'terminal' && lease.run)
        return { run: await this.#finalize(lease.run), end: 'ended' };
      throw conflict(
        'lease_conflict',
        `run ${runId} is being advanced by another process (${lease.run?.leaseOwner ?? 'unknown'})`,
        { holder: lease.run?.leaseOwner ?? null, leaseExpiresAt: lease.run?.leaseExpiresAt ?? null },
      );
    }
    const agent = await this.#agentOf(run);
    let scoped: ScopedTools;
    let brain: Brain;
    try {
      brain = deps.brainFor(agent);
      scoped = deps.toolsFor
        ? await deps.toolsFor(agent, run)
        : { host: deps.tools, close: async () => undefined };
    } catch (error) {
      await deps.runs.releaseLease(lease).catch(() => undefined);
      throw error;
    }
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    this.#active.set(runId, controller);
    const heartbeat = this.#heartbeat(lease, ttl, controller);
    const observed = deps.observe?.slice(run, agent);
    const tools = observed?.tools(scoped.host) ?? scoped.host;
    let wroteJobs = true;
    try {
      const result = await advanceRun(this.#runtime(agent, tools, observed?.brain(brain) ?? brain), {
        run: await this.get(scope, runId),
        lease,
        agent,
        signal: controller.signal,
        leaseTtlMs: ttl,
        sink: this.#sink(options.sink, observed?.sink),
        ...(options.drain ? { drain: options.drain } : {}),
        ...(options.sliceSteps !== undefined ? { sliceSteps: options.sliceSteps } : {}),
      });
      observed?.end({ result });
      // A run that ended wrote no job of its own, only its parent's wake-up (when it has a parent).
      wroteJobs = result.end !== 'ended' || result.run.parentRunId !== null;
      if (result.end === 'ended') await this.#ended(result.run);
      return result;
    } catch (error) {
      observed?.end({ error });
      if (error instanceof AutonomaError && error.code === 'fenced') {
        // Cancelled from elsewhere while this process advanced it: the run's end is written here.
        const latest = await this.get(scope, runId);
        if (isTerminal(latest.status)) return { run: await this.#finalize(latest), end: 'ended' };
        // Not ended: the lease passed to another process, whose commits win.
        deps.observe?.fencedCommit(latest);
      }
      throw error;
    } finally {
      clearInterval(heartbeat);
      options.signal?.removeEventListener('abort', onAbort);
      this.#active.delete(runId);
      await scoped.close().catch(() => undefined);
      await deps.runs.releaseLease(lease).catch(() => undefined);
      // The slice's commits may have written the run's next job, its children's or its parent's.
      if (wroteJobs) deps.outboxWritten?.();
    }
  }

  /**
   * Advances a run and the runs it delegates to, in this process, until it ends or waits on a human:
   * while it waits for its children, they are advanced concurrently (each its own tree), and then it
   * is resumed. The embedded mode's way to run a tree; in a cluster, workers take the children's jobs.
   */
  async advanceTree(scope: Scope, runId: string, options: AdvanceOptions = {}): Promise<AdvanceRunResult> {
    let result = await this.advance(scope, runId, options);
    while (result.end !== 'ended' && result.run.status === 'waiting_children') {
      const open = await this.list(scope, {
        parentRunId: runId,
        status: ['queued', 'running', 'sleeping', 'waiting_children'],
        limit: 1000,
      });
      await Promise.all(
        open.map((child) =>
          this.advanceTree(scope, child.id, options).catch((error: unknown) => {
            // Another process advancing a child is no reason to stop: the child ends there.
            if (!(error instanceof AutonomaError && error.code === 'lease_conflict')) throw error;
          }),
        ),
      );
      const run = await this.get(scope, runId);
      // Still waiting: a child is held by another process (or by a human), which will wake this run.
      if (!runnable(run)) return { run, end: 'waiting' };
      result = await this.advance(scope, runId, options);
    }
    return result;
  }

  /**
   * Cancels a run and, in the same transaction, every unfinished run it delegated to (and theirs):
   * marks them cancelled in the store (compare-and-set), tells the processes advancing them (in this
   * process directly, elsewhere through the bus; the lease check is the fallback), and writes their ends.
   */
  async cancel(scope: Scope, runId: string, reason = 'cancelled by request'): Promise<Run> {
    const deps = this.#deps;
    let signalled = false;
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const run = await this.get(scope, runId);
      if (isTerminal(run.status)) {
        // The advancing process, told below, may have ended it cancelled itself.
        if (signalled && run.status === 'cancelled') return this.#finalize(run);
        throw conflict('run_terminal', `run ${runId} already ended: ${run.status}`);
      }
      const result = await deps.runs.transition(
        run.orgId,
        runId,
        { status: run.status, version: run.version },
        { status: 'cancelled', reason, now: deps.clock.now(), cascade: true },
      );
      if (!signalled || result) await this.#signalCancel(runId, reason);
      signalled = true;
      if (!result) continue;
      const cascaded = result.cascaded ?? [];
      for (const childId of cascaded) await this.#signalCancel(childId, reason);
      await deps.audit.append({
        orgId: run.orgId,
        actor: scope.actor,
        action: 'run.cancel',
        target: runId,
        detail: { reason, ...(cascaded.length > 0 ? { children: cascaded.length } : {}) },
        at: deps.clock.now(),
      });
      for (const childId of cascaded) {
        const child = await deps.runs.get(run.orgId, childId);
        // Its advancing process may finalize it first: finalization happens once either way.
        if (child) await this.#finalize(child).catch(() => undefined);
      }
      return this.#finalize(result.run);
    }
    throw conflict('conflict', `run ${runId} kept changing; try again`);
  }

  /**
   * Fails a run that cannot be advanced any more — its slices kept killing their worker (`stalled`), or
   * its job failed for good — recording why in an `error` event, then writes its end. A run already
   * terminal is only finalized (when it was not).
   */
  async abandon(scope: Scope, runId: string, failure: { code: string; reason: string }): Promise<Run> {
    const deps = this.#deps;
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const run = await this.get(scope, runId);
      if (isTerminal(run.status)) return run.finalizedAt === null ? this.#finalize(run) : run;
      const now = deps.clock.now();
      const result = await deps.runs.transition(
        run.orgId,
        runId,
        { status: run.status, version: run.version },
        {
          status: 'failed',
          reason: failure.reason,
          now,
          events: [{ type: 'error', code: failure.code, message: failure.reason }],
        },
      );
      if (!result) continue;
      for (const appended of result.events) this.#publish(appended);
      await deps.audit.append({
        orgId: run.orgId,
        actor: scope.actor,
        action: 'run.fail',
        target: runId,
        detail: { code: failure.code, reason: failure.reason },
        at: now,
      });
      // A process still holding the lease is fenced from now on; the signal stops it at once.
      await this.#signalCancel(runId, failure.reason);
      deps.outboxWritten?.();
      return this.#finalize(result.run);
    }
    throw conflict('conflict', `run ${runId} kept changing; try again`);
  }

  /** Stops the step in flight: here directly, in another process through the bus (else at its next commit). */
  async #signalCancel(runId: string, reason: string): Promise<void> {
    this.#active.get(runId)?.abort(new AutonomaError('cancelled', reason));
    await this.#deps.bus?.signal(runId, { type: 'cancel', reason }).catch(() => undefined);
  }

  /** Resolves a pending approval; a second resolution of the same call is a no-op. */
  async resolveApproval(
    scope: Scope,
    runId: string,
    callId: string,
    decision: ApprovalDecision,
  ): Promise<{ run: Run; changed: boolean }> {
    const deps = this.#deps;
    const { approved, reason } = decision;
    const run = await this.get(scope, runId);
    const record = await deps.toolCalls.get(run.orgId, callId);
    if (!record || record.runId !== runId) throw notFound('tool call', callId);
    if (record.status !== 'awaiting_approval') return { run, changed: false };
    const now = deps.clock.now();
    const changed = await deps.toolCalls.resolve(run.orgId, callId, {
      from: 'awaiting_approval',
      to: approved ? 'approved' : 'denied',
      result: approved ? null : { code: 'denied', message: reason ?? 'denied' },
      now,
    });
    if (!changed) return { run, changed: false };
    await deps.audit.append({
      orgId: run.orgId,
      actor: scope.actor,
      action: approved ? 'approval.approve' : 'approval.deny',
      target: callId,
      detail: { runId, ...(reason ? { reason } : {}) },
      at: now,
    });
    const event = {
      type: 'approval-resolve' as const,
      callId,
      approved,
      ...(reason ? { reason } : {}),
      by: scope.actor,
    };
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const current = await this.get(scope, runId);
      if (current.status !== 'waiting_approval') {
        await deps.runs.appendEvents(run.orgId, runId, [event], now);
        return { run: current, changed: true };
      }
      const result = await deps.runs.transition(
        run.orgId,
        runId,
        { status: current.status, version: current.version },
        { status: 'queued', now, events: [event], enqueue: this.#enqueue() },
      );
      if (result) {
        for (const appended of result.events) this.#publish(appended);
        deps.outboxWritten?.();
        return { run: result.run, changed: true };
      }
    }
    throw conflict('conflict', `run ${runId} kept changing; try again`);
  }

  /**
   * Answers the question a run waits on (`waiting_input`): the answer becomes the result of its
   * `ask_user` call, and the run is queued again, with its job, in the same transaction. Throws
   * `not_waiting_input` when the run asks nothing (already answered, or never asked).
   */
  async answer(scope: Scope, runId: string, text: string): Promise<Run> {
    const deps = this.#deps;
    const answer = text.trim();
    if (answer === '') throw userError('invalid_input', 'the answer is empty');
    if (answer.length > maxAnswerLength)
      throw userError('invalid_input', `the answer is longer than ${maxAnswerLength} characters`);
    if (findUnstorable(answer) !== undefined)
      throw userError('invalid_input', 'the answer contains a NUL character or broken Unicode');
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const run = await this.get(scope, runId);
      const callId = run.status === 'waiting_input' ? openQuestion(run) : undefined;
      if (callId === undefined) {
        throw conflict(
          'not_waiting_input',
          `run ${runId} is not waiting for an answer (it is ${run.status})`,
        );
      }
      const now = deps.clock.now();
      const event: EventPayload = {
        type: 'tool-call-end',
        step: run.stepCount,
        callId,
        tool: askUserToolName,
        ok: true,
        result: { answer: deps.redact(answer) },
        latencyMs: Math.max(0, now - run.updatedAt),
        fromJournal: false,
      };
      const result = await deps.runs.transition(
        run.orgId,
        runId,
        { status: run.status, version: run.version },
        { status: 'queued', now, events: [event], enqueue: this.#enqueue() },
      );
      if (!result) continue;
      await deps.audit.append({
        orgId: run.orgId,
        actor: scope.actor,
        action: 'run.input',
        target: runId,
        detail: { callId },
        at: now,
      });
      for (const appended of result.events) this.#publish(appended);
      deps.outboxWritten?.();
      return result.run;
    }
    throw conflict('conflict', `run ${runId} kept changing; try again`);
  }

  /**
   * Runs left unfinished in the caller's organization: runnable with no live lease, then terminal
   * runs whose log was never finalized. The embedded process holds the store's lock, so it counts
   * every lease held by another process as orphaned (`ownsStore`).
   */
  async interrupted(scope: Scope, limit = 100): Promise<Run[]> {
    const deps = this.#deps;
    const now = deps.clock.now();
    const owns = deps.ownsStore === true;
    const claimable = await deps.runs.claimable({ orgId: scope.orgId, now, limit, ignoreLeases: owns });
    const unfinalized = await deps.runs.unfinalized({
      orgId: scope.orgId,
      endedBefore: owns ? now + 1 : now - (deps.leaseTtlMs ?? 30_000),
      limit,
    });
    return [...claimable.filter(runnable), ...unfinalized];
  }

  async #agentOf(run: Run): Promise<Agent> {
    const agent = await this.#deps.agents.get(run.orgId, run.agentId);
    if (!agent) throw notFound('agent', run.agentId);
    return agent;
  }

  async #finalize(run: Run): Promise<Run> {
    const deps = this.#deps;
    const runtime = {
      runs: deps.runs,
      clock: deps.clock,
      redact: deps.redact,
      ...(deps.hooks ? { hooks: deps.hooks } : {}),
    };
    const agent = await this.#agentOf(run);
    const finalized = await finalizeRun(runtime, {
      run,
      agent,
      sink: this.#sink(undefined, deps.observe?.finalize(run, agent)),
    });
    await this.#ended(finalized);
    return finalized;
  }

  /**
   * Tells whoever waits for a run's end (its conversation's next turn). A failure here loses nothing:
   * a later sweep ({@link ConversationService.resumeStalled}) does the same.
   */
  async #ended(run: Run): Promise<void> {
    await this.#deps.onEnded?.(run).catch(() => undefined);
  }

  /**
   * A new job for a run made runnable here. It continues the run's trace; the context of the request or
   * job doing it stands in for a run stored without one.
   */
  #enqueue(): Enqueue {
    const trace = this.#deps.observe?.traceContext();
    return { jobId: this.#deps.ids.next('job'), ...(trace ? { trace } : {}) };
  }

  #runtime(agent: Agent, tools: ToolHost, brain: Brain): AgentRuntime {
    const deps = this.#deps;
    return {
      runs: deps.runs,
      toolCalls: deps.toolCalls,
      tools,
      brain,
      clock: deps.clock,
      redact: deps.redact,
      jobId: () => deps.ids.next('job'),
      delegation: deps.delegation ?? defaultDelegationLimits,
      ...(deps.workspaceOf ? { workspaceOf: deps.workspaceOf } : {}),
      audit: (current, entry) =>
        deps.audit
          .append({ orgId: current.orgId, actor: `agent:${agent.name}`, ...entry, at: deps.clock.now() })
          .then(() => undefined),
      ...(deps.hooks ? { hooks: deps.hooks } : {}),
    };
  }

  /**
   * The caller's sink, plus the bus: other processes see every event this one commits or streams. The
   * observer (metrics, traces, logs) sees each event first.
   */
  #sink(sink: EventSink | undefined, observer?: EventSink): EventSink {
    return (event) => {
      observer?.(event);
      sink?.(event);
      this.#publish(event);
    };
  }

  #publish(event: RunEvent): void {
    // The store holds the truth; a subscriber that misses a message catches up from it.
    this.#deps.bus?.publish([event]).catch(() => undefined);
  }

  #heartbeat(lease: Lease, ttl: number, controller: AbortController): ReturnType<typeof setInterval> {
    const timer = setInterval(
      () => {
        this.#deps.runs
          .renewLease(lease, this.#deps.clock.now(), ttl)
          .then((kept) => {
            if (kept) return;
            // Counted once: a renewal may be refused again before the slice stops.
            if (!controller.signal.aborted) this.#deps.observe?.leaseLost(lease);
            controller.abort(new AutonomaError('fenced', `lease on run ${lease.runId} was lost`));
          })
          .catch(() => undefined);
      },
      Math.max(1000, Math.floor(ttl / 3)),
    );
    timer.unref();
    return timer;
  }
}
