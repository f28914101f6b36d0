/**
 * A worker pool inside a process: registers in the worker registry and heartbeats, consumes jobs from
 * the queues it serves (an `agent-run` job advances its run by one slice, a `learning-refresh` job
 * consolidates an organization's learning), and runs the sweeper, the scheduler of cron goals — and,
 * in a cluster, the outbox relay — alongside. `autonoma worker` is one pool in its own process; `autonoma serve` may start one next to
 * the API. Stopping with `drain` lets every slice in flight commit its step, leaving its run runnable
 * with its next job written; draining never cancels a run.
 */
import { hostname } from 'node:os';
import type { Agent, Job, JobHandler, JobResult, Priority, Scope } from '@autonoma/core';
import { AutonomaError, describeError, jobKinds } from '@autonoma/core';
import type { App } from './app.ts';
import type { Stoppable } from './app-jobs.ts';
import { missingCapabilities, requiredCapabilities, workerCapabilities } from './jobs/capabilities.ts';
import type { JobLogger } from './jobs/job-logger.ts';
import { silentLogger } from './jobs/job-logger.ts';
import { parseConcurrency, parseQueues } from './jobs/queue-names.ts';
import { tracedJobHandler } from './observability/tracing.ts';
import { startScheduler } from './schedules/index.ts';
import { isAlive } from './jobs/worker-registry.ts';
import { version } from './version.ts';

/** Options of {@link startWorkerPool}; unset ones come from the app's configuration. */
export interface WorkerPoolOptions {
  /** @default config `workerQueues` */
  queues?: readonly Priority[];
  /** Slices in flight at once. @default config `workerConcurrency` */
  concurrency?: number;
  /** Steps per slice. @default config `sliceSteps` */
  sliceSteps?: number;
  /** Run the sweeper in this process (every pool may; one works at a time). @default true */
  sweeper?: boolean;
  /** Run the outbox relay in this process (cluster only). @default true */
  relay?: boolean;
  /**
   * Longest pause between two relay passes when nothing wakes it (its process's writes and other
   * processes' announcements do). @default 200
   */
  relayIntervalMs?: number;
  /** Fire due schedules from this process (every process may; each slot fires once). @default true */
  scheduler?: boolean;
  /** How often the registry heartbeat is written. @default 1000 */
  heartbeatMs?: number;
  /** A worker whose heartbeat is older than this is dead to the sweeper. @default 5000 */
  deadAfterMs?: number;
  /** How often the sweeper runs. @default 2000 */
  sweepIntervalMs?: number;
  logger?: JobLogger;
}

/** A running pool. */
export interface WorkerPool {
  /** Its registry id. */
  readonly id: string;
  readonly queues: readonly Priority[];
  readonly concurrency: number;
  readonly capabilities: readonly string[];
  readonly transport: 'local' | 'bullmq';
  /**
   * Stops taking jobs. With `drain` (the default) the slices in flight finish their step, commit and
   * hand their runs back (next job written, lease released), for at most `graceMs`; what is still in
   * flight then (or at once without `drain`) is left to the sweeper of another worker. Resolves with
   * how many slices were left unfinished. Idempotent.
   */
  stop(options?: { drain?: boolean; graceMs?: number }): Promise<{ unfinished: number }>;
  /**
   * For a process about to exit at once (a second SIGTERM during a drain): marks this worker gone
   * without having released its work, so the next sweep frees its leases and job locks.
   */
  abandon(): Promise<void>;
}

/** How long an agent's capability needs are cached by a pool. */
const agentCacheMs = 10_000;

/** Starts a worker pool on `app` (see the module comment). Throws a one-line error when the queue cannot be used. */
export async function startWorkerPool(app: App, options: WorkerPoolOptions = {}): Promise<WorkerPool> {
  const { config, jobs, services, clock } = app;
  const logger = options.logger ?? silentLogger;
  const queues = parseQueues(options.queues ?? config.workerQueues, '--queues');
  const concurrency = parseConcurrency(options.concurrency ?? config.workerConcurrency);
  const sliceSteps = options.sliceSteps ?? config.sliceSteps;
  const deadAfterMs = options.deadAfterMs ?? 5000;
  await jobs.check();
  const capabilities = await workerCapabilities(app.tools, { allowUnsandboxed: config.allowUnsandboxed });
  const available = new Set(capabilities);
  const id = `wkr_${hostname()
    .replace(/[^a-zA-Z0-9-]/g, '')
    .slice(0, 24)}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const scopeOf = (job: Job): Scope => ({ orgId: job.orgId, actor: `worker:${id}` });
  await jobs.registry.register({
    id,
    hostname: hostname(),
    pid: process.pid,
    version,
    leaseOwner: app.leaseOwner,
    transport: jobs.transport,
    queues,
    capabilities,
    concurrency,
    startedAt: clock.now(),
  });

  const needs = new Map<string, { required: string[]; at: number }>();
  const requiredOf = async (job: Job): Promise<string[]> => {
    if (job.agentId === null) return [];
    const cached = needs.get(job.agentId);
    if (cached && clock.now() - cached.at < agentCacheMs) return cached.required;
    let agent: Agent | undefined;
    try {
      agent = await services.agents.get(scopeOf(job), job.agentId);
    } catch {
      return [];
    }
    const required = requiredCapabilities(agent);
    needs.set(job.agentId, { required, at: clock.now() });
    return required;
  };

  const advanceRun = async (job: Job, drain: AbortSignal): Promise<JobResult | void> => {
    const runId = job.payload['runId'];
    if (typeof runId !== 'string') return { status: 'failed', error: 'an agent-run job without a runId' };
    const missing = missingCapabilities(await requiredOf(job), available);
    if (missing.length > 0) {
      // Another worker may have it: handed back, not counted as an attempt (see docs/jobs.md).
      return {
        status: 'deferred',
        until: clock.now() + 2000 + Math.floor(Math.random() * 2000),
        reason: `needs ${missing.join(', ')}, which worker ${id} lacks`,
      };
    }
    const scope = scopeOf(job);
    // A slice retried after a crash or a failure advances one step and yields: its run's next slice is
    // a new job, so a run fails `stalled` only after its job's attempts all ended without a committed
    // step, however many workers its long life outlives.
    const steps = job.attempt > 1 ? 1 : sliceSteps;
    try {
      await services.runs.advance(scope, runId, { sliceSteps: steps, drain });
      return;
    } catch (error) {
      if (!(error instanceof AutonomaError)) return failedAttempt(job, scope, runId, error);
      // Nothing to do: the run ended (and was finalized), or is gone with its organization.
      if (error.code === 'run_terminal' || error.code === 'not_found') return;
      if (error.code === 'lease_conflict') return leaseHeld(error);
      if (error.category === 'user') {
        // It will fail the same way every time (its agent was deleted, its workspace is invalid).
        await services.runs.abandon(scope, runId, { code: 'job_failed', reason: error.message });
        return { status: 'failed', error: error.message };
      }
      return failedAttempt(job, scope, runId, error);
    }
  };

  /**
   * Another process holds the run's lease. A live worker will write the run's next job itself: this
   * job is dropped. A holder that is not a live worker (dead, or a CLI) is waited out until its lease
   * expires — not dropped, so a run whose slices keep killing workers is counted on one job.
   */
  const leaseHeld = async (error: AutonomaError): Promise<JobResult | void> => {
    const holder = typeof error.details?.['holder'] === 'string' ? error.details['holder'] : undefined;
    const expiresAt = Number(error.details?.['leaseExpiresAt'] ?? 0) || clock.now() + 1000;
    const worker = holder === undefined ? undefined : await jobs.registry.get(holder);
    if (worker && isAlive(worker, clock.now(), deadAfterMs)) return;
    return {
      status: 'deferred',
      until: Math.max(clock.now(), expiresAt) + 250,
      reason: `run held by ${holder ?? 'another process'}`,
    };
  };

  /** A failure that may pass (the store, a dependency): retried, and once its attempts are used the run fails. */
  const failedAttempt = async (job: Job, scope: Scope, runId: string, error: unknown): Promise<JobResult> => {
    if (job.attempt < job.maxAttempts) throw error;
    const reason = `its job failed ${job.attempt} times; last: ${describeError(error)}`;
    await services.runs.abandon(scope, runId, { code: 'job_failed', reason }).catch(() => undefined);
    return { status: 'failed', error: describeError(error) };
  };

  const handler: JobHandler = async (job, context) => {
    if (job.kind === jobKinds.agentRun) return advanceRun(job, context.drain);
    if (job.kind === jobKinds.learningRefresh) {
      await services.memories.refresh(scopeOf(job));
      return;
    }
    return { status: 'failed', error: `worker ${id} does not know the job kind '${job.kind}'` };
  };

  const onStalled = async (job: Job): Promise<void> => {
    const runId = job.payload['runId'];
    if (job.kind !== jobKinds.agentRun || typeof runId !== 'string') return;
    logger.warn(
      { runId, jobId: job.id, attempts: job.maxAttempts },
      'a run kept killing its workers: failed as stalled',
    );
    await services.runs
      .abandon(scopeOf(job), runId, { code: 'stalled', reason: 'stalled' })
      .catch((error: unknown) => {
        logger.error({ runId, error: describeError(error) }, 'could not fail a stalled run');
      });
  };

  // Each job in a span continuing the trace it carries (a no-op without tracing).
  const traced = tracedJobHandler(app.observability.tracing, handler);
  const consumer = jobs.queue.consume({ queues, concurrency, handler: traced, onStalled, consumer: id });
  const background: Stoppable[] = [];
  if (options.relay !== false)
    background.push(
      jobs.startRelay(options.relayIntervalMs === undefined ? {} : { intervalMs: options.relayIntervalMs }),
    );
  if (options.sweeper !== false) {
    background.push(
      jobs.startSweeper({
        deadAfterMs,
        intervalMs: options.sweepIntervalMs ?? 2000,
        // A turn queued behind a run that ended as its process died is started by whoever sweeps.
        resumeConversations: () => services.conversations.resumeStalled({ limit: 200 }),
        ...(app.mode === 'embedded' ? { ownsStore: { ownLeaseOwner: app.leaseOwner } } : {}),
      }),
    );
  }
  if (options.scheduler !== false) {
    const scheduler = startScheduler(services, {
      clock,
      onError: (error) => logger.warn({ error: describeError(error) }, 'a schedule could not fire'),
    });
    background.push(scheduler);
  }
  const heartbeat = setInterval(() => {
    jobs.registry.heartbeat(id, { now: clock.now(), inFlight: consumer.inFlight }).catch((error: unknown) => {
      logger.warn({ error: describeError(error) }, 'could not write the worker heartbeat');
    });
  }, options.heartbeatMs ?? 1000);
  heartbeat.unref();
  logger.info(
    { workerId: id, queues, concurrency, transport: jobs.transport, capabilities },
    'worker started',
  );

  let stopping: Promise<{ unfinished: number }> | undefined;
  return {
    id,
    queues,
    concurrency,
    capabilities,
    transport: jobs.transport,
    async abandon() {
      clearInterval(heartbeat);
      await jobs.registry.abandon(id).catch(() => undefined);
    },
    stop(stop = {}) {
      stopping ??= (async () => {
        const drain = stop.drain !== false;
        const { unfinished } = await consumer.close({
          drain,
          graceMs: stop.graceMs ?? config.shutdownGraceMs,
        });
        clearInterval(heartbeat);
        await Promise.all(background.map((task) => task.stop().catch(() => undefined)));
        // Left unfinished: the next sweep frees this worker's leases and job locks at once.
        if (unfinished > 0) await jobs.registry.abandon(id).catch(() => undefined);
        else await jobs.registry.stop(id, clock.now()).catch(() => undefined);
        logger.info(
          { workerId: id, unfinished },
          unfinished > 0 ? 'worker stopped, work left' : 'worker drained',
        );
        return { unfinished };
      })();
      return stopping;
    },
  };
}
