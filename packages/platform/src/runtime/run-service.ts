import type {
  Agent,
  AgentRuntime,
  AgentStore,
  AuditLog,
  Brain,
  Budgets,
  Clock,
  EventSink,
  GoalSpec,
  IdGenerator,
  Lease,
  Priority,
  Run,
  AdvanceRunResult,
  RunHooks,
  RunStore,
  ToolCallJournal,
  ToolHost,
} from '@autonoma/core';
import {
  AgentSpec,
  AutonomaError,
  Goal,
  conflict,
  defaultAgentName,
  isTerminal,
  notFound,
  advanceRun,
  finalizeRun,
  userError,
} from '@autonoma/core';
import type { Redactor } from '../security/redact.ts';
import { checkWorkspaceDirectory } from './workspace-directory.ts';

/** The tools of one agent for one advance (built-ins plus its MCP servers), closed afterwards. */
export interface ScopedTools {
  host: ToolHost;
  close(): Promise<void>;
}

/** Everything the run service needs; built by the composition root. */
export interface RunServiceDeps {
  orgId: string;
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
  /** This process's lease owner id. */
  owner: string;
  /** Whether a lease held by another owner may be taken before it expires. */
  canSteal: (holder: string) => boolean;
  /** True when this process alone can use the store (embedded, under the data directory's lock). */
  ownsStore?: boolean;
  /** Autonoma's home (AUTONOMA_HOME): no run may use it, or its data directory, as a workspace. */
  home?: string;
  /** @default 30000 */
  leaseTtlMs?: number;
}

/** Input to start a run. */
export interface StartRun {
  goal: string;
  spec?: GoalSpec;
  agent?: string;
  workspace: string;
  budgets?: Budgets;
  priority?: Priority;
  idempotencyKey?: string;
  parentRunId?: string;
}

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

/** Creates, advances, resumes, cancels runs and resolves approvals. The CLI, API and workers share it. */
export class RunService {
  readonly #deps: RunServiceDeps;
  readonly #active = new Map<string, AbortController>();

  constructor(deps: RunServiceDeps) {
    this.#deps = deps;
  }

  /** The agent named (or the default agent, created on first use). */
  async agent(name: string | undefined): Promise<Agent> {
    const { agents, orgId, clock, ids } = this.#deps;
    const wanted = name ?? defaultAgentName;
    const found = await agents.get(orgId, wanted);
    if (found) return found;
    if (wanted !== defaultAgentName) throw notFound('agent', wanted);
    return agents.upsert(orgId, AgentSpec.parse({ name: defaultAgentName }), {
      id: ids.next('agt'),
      now: clock.now(),
    });
  }

  /**
   * Validates and stores a new run in `queued`. Nothing runs yet. Throws `invalid_workspace` when the
   * workspace is not an existing directory.
   */
  async start(input: StartRun): Promise<Run> {
    const parsedGoal = Goal.safeParse({ text: input.goal, ...(input.spec ? { spec: input.spec } : {}) });
    if (!parsedGoal.success) {
      const issue = parsedGoal.error.issues[0];
      throw userError(
        'invalid_goal',
        `invalid goal: ${issue?.path.join('.') || 'text'}: ${issue?.message ?? 'invalid'}`,
      );
    }
    await checkWorkspaceDirectory(input.workspace, {
      ...(this.#deps.home === undefined ? {} : { home: this.#deps.home }),
    });
    const agent = await this.agent(input.agent);
    const { run } = await this.#deps.runs.create({
      id: this.#deps.ids.next('run'),
      orgId: this.#deps.orgId,
      agentId: agent.id,
      parentRunId: input.parentRunId ?? null,
      goal: parsedGoal.data,
      priority: input.priority ?? 'normal',
      budgets: { ...agent.budgets, ...input.budgets },
      workspace: input.workspace,
      now: this.#deps.clock.now(),
      ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
    });
    return run;
  }

  /** A run of this organization, or a `not_found` error. */
  async get(runId: string): Promise<Run> {
    const run = await this.#deps.runs.get(this.#deps.orgId, runId);
    if (!run) throw notFound('run', runId);
    return run;
  }

  /** Checks a run can be resumed (exists, not terminal, not waiting on a human), then advances it. */
  async resume(runId: string, options: AdvanceOptions = {}): Promise<AdvanceRunResult> {
    const run = await this.get(runId);
    if (isTerminal(run.status)) throw conflict('run_terminal', `run ${runId} already ended: ${run.status}`);
    if (run.status === 'waiting_approval') {
      throw conflict(
        'conflict',
        `run ${runId} is waiting for approval; use 'autonoma approve' or 'autonoma deny'`,
      );
    }
    return this.advance(runId, options);
  }

  /**
   * Takes the run's lease and runs the loop until the run stops or the slice ends. The lease is
   * renewed while the loop runs; if it is lost, in-flight tools are aborted and nothing more commits.
   */
  async advance(runId: string, options: AdvanceOptions = {}): Promise<AdvanceRunResult> {
    const deps = this.#deps;
    const ttl = deps.leaseTtlMs ?? 30_000;
    const run = await this.get(runId);
    if (isTerminal(run.status)) {
      // A terminal run may still need its log finalized (its process died after the last commit).
      if (run.finalizedAt === null) {
        const agent = await this.#agentOf(run);
        return { run: await finalizeRun(this.#finalizer(), { run, agent }), end: 'ended' };
      }
      throw conflict('run_terminal', `run ${runId} already ended: ${run.status}`);
    }
    const lease = await deps.runs.acquireLease(run.orgId, runId, {
      owner: deps.owner,
      now: deps.clock.now(),
      ttlMs: ttl,
      steal: deps.canSteal,
    });
    if ('refused' in lease) {
      if (lease.reason === 'terminal')
        throw conflict('run_terminal', `run ${runId} already ended: ${lease.run?.status ?? 'terminal'}`);
      if (lease.reason === 'not_found') throw notFound('run', runId);
      throw conflict(
        'lease_conflict',
        `run ${runId} is being advanced by another process (${lease.run?.leaseOwner ?? 'unknown'})`,
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
    try {
      const runtime: AgentRuntime = {
        runs: deps.runs,
        toolCalls: deps.toolCalls,
        tools: scoped.host,
        brain,
        clock: deps.clock,
        redact: deps.redact,
        audit: (current, entry) =>
          deps.audit
            .append({ orgId: current.orgId, actor: `agent:${agent.name}`, ...entry, at: deps.clock.now() })
            .then(() => undefined),
        ...(deps.hooks ? { hooks: deps.hooks } : {}),
      };
      const fresh = await this.get(runId);
      return await advanceRun(runtime, {
        run: fresh,
        lease,
        agent,
        signal: controller.signal,
        leaseTtlMs: ttl,
        ...(options.sink ? { sink: options.sink } : {}),
        ...(options.drain ? { drain: options.drain } : {}),
        ...(options.sliceSteps !== undefined ? { sliceSteps: options.sliceSteps } : {}),
      });
    } catch (error) {
      if (error instanceof AutonomaError && error.code === 'fenced') {
        // Cancelled from elsewhere while this process advanced it: the run's end is written here.
        const latest = await this.get(runId);
        if (isTerminal(latest.status))
          return { run: await finalizeRun(this.#finalizer(), { run: latest, agent }), end: 'ended' };
      }
      throw error;
    } finally {
      clearInterval(heartbeat);
      options.signal?.removeEventListener('abort', onAbort);
      this.#active.delete(runId);
      await scoped.close().catch(() => undefined);
      await deps.runs.releaseLease(lease).catch(() => undefined);
    }
  }

  /** Cancels a run: aborts it in this process, or marks it cancelled in the store (compare-and-set). */
  async cancel(runId: string, reason = 'cancelled by request'): Promise<Run> {
    const local = this.#active.get(runId);
    if (local) {
      local.abort(new AutonomaError('cancelled', reason));
      return this.get(runId);
    }
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const run = await this.get(runId);
      if (isTerminal(run.status)) throw conflict('run_terminal', `run ${runId} already ended: ${run.status}`);
      const result = await this.#deps.runs.transition(
        run.orgId,
        runId,
        { status: run.status, version: run.version },
        { status: 'cancelled', reason, now: this.#deps.clock.now() },
      );
      if (result) return finalizeRun(this.#finalizer(), { run: result.run, agent: await this.#agentOf(run) });
    }
    throw conflict('conflict', `run ${runId} kept changing; try again`);
  }

  /** Resolves a pending approval; a second resolution of the same call is a no-op. */
  async resolveApproval(
    runId: string,
    callId: string,
    approved: boolean,
    reason: string | undefined,
    by: string,
  ): Promise<{ run: Run; changed: boolean }> {
    const deps = this.#deps;
    const run = await this.get(runId);
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
      actor: by,
      action: approved ? 'approval.approve' : 'approval.deny',
      target: callId,
      detail: { runId, ...(reason ? { reason } : {}) },
      at: now,
    });
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const current = await this.get(runId);
      if (current.status !== 'waiting_approval') {
        await deps.runs.appendEvents(
          run.orgId,
          runId,
          [{ type: 'approval-resolve', callId, approved, ...(reason ? { reason } : {}), by }],
          now,
        );
        return { run: current, changed: true };
      }
      const result = await deps.runs.transition(
        run.orgId,
        runId,
        { status: current.status, version: current.version },
        {
          status: 'queued',
          now,
          events: [{ type: 'approval-resolve', callId, approved, ...(reason ? { reason } : {}), by }],
        },
      );
      if (result) return { run: result.run, changed: true };
    }
    throw conflict('conflict', `run ${runId} kept changing; try again`);
  }

  /**
   * Runs left unfinished (runnable, with no live lease), by priority then age. The embedded process
   * holds the store's lock, so it also counts leases held by others as orphaned (`ownsStore`).
   */
  async interrupted(limit = 100): Promise<Run[]> {
    const now = this.#deps.clock.now();
    const runnable = await this.#deps.runs.claimable({
      orgId: this.#deps.orgId,
      now,
      limit,
      ignoreLeases: this.#deps.ownsStore === true,
    });
    // Terminal runs whose process died before their log was finalized.
    const unfinalized = await this.#deps.runs.unfinalized({
      orgId: this.#deps.orgId,
      endedBefore: this.#deps.ownsStore === true ? now + 1 : now - (this.#deps.leaseTtlMs ?? 30_000),
      limit,
    });
    return [...runnable, ...unfinalized];
  }

  /** What finalizing a run needs: the store, learning, time and redaction (no brain, no tools). */
  #finalizer(): Pick<AgentRuntime, 'runs' | 'hooks' | 'clock' | 'redact'> {
    const deps = this.#deps;
    return { runs: deps.runs, clock: deps.clock, redact: deps.redact, ...(deps.hooks ? { hooks: deps.hooks } : {}) };
  }

  async #agentOf(run: Run): Promise<Agent> {
    const agent = await this.#deps.agents.get(run.orgId, run.agentId);
    if (!agent) throw notFound('agent', run.agentId);
    return agent;
  }

  #heartbeat(lease: Lease, ttl: number, controller: AbortController): ReturnType<typeof setInterval> {
    const timer = setInterval(
      () => {
        this.#deps.runs
          .renewLease(lease, this.#deps.clock.now(), ttl)
          .then((kept) => {
            if (!kept) controller.abort(new AutonomaError('fenced', `lease on run ${lease.runId} was lost`));
          })
          .catch(() => undefined);
      },
      Math.max(1000, Math.floor(ttl / 3)),
    );
    timer.unref();
    return timer;
  }
}
