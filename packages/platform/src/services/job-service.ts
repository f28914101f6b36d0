import type { AuditLog, Clock, JobQueue, Priority, Scope } from '@autonoma/core';
import { conflict, jobKinds, notFound } from '@autonoma/core';
import type { JobFilter, JobRow } from '../jobs/job-rows.ts';
import { getJob, listJobs, retryJob } from '../jobs/job-rows.ts';
import type { Executor } from '../store/driver.ts';

/** What the job service needs. */
export interface JobServiceDeps {
  /** The store holding the `jobs` rows (the queue's record of truth, whatever carries them). */
  db: Executor;
  queue: JobQueue;
  audit: AuditLog;
  clock: Clock;
  /** Wakes this process's consumers or relay after a job was written. */
  jobsWritten?: () => void;
}

/** The jobs of the caller's organization: list, show, retry, and the jobs an operator may ask for. */
export class JobService {
  readonly #deps: JobServiceDeps;

  constructor(deps: JobServiceDeps) {
    this.#deps = deps;
  }

  /** Jobs, newest first (`before`: a job id cursor). */
  list(scope: Scope, filter: Omit<JobFilter, 'orgId'> = {}): Promise<JobRow[]> {
    return listJobs(this.#deps.db, { ...filter, orgId: scope.orgId });
  }

  /** One job, or `not_found`. */
  async get(scope: Scope, jobId: string): Promise<JobRow> {
    const job = await getJob(this.#deps.db, scope.orgId, jobId);
    if (!job) throw notFound('job', jobId);
    return job;
  }

  /**
   * Runs a finished (`failed` or `done`) job again, with fresh attempts. Retrying an `agent-run` job
   * does not reopen a run that ended: a worker finds it terminal and does nothing. Throws
   * `job_not_finished` for a job still waiting or running, `job_pending` when its dedupe key already
   * has a waiting job.
   */
  async retry(scope: Scope, jobId: string): Promise<JobRow> {
    const deps = this.#deps;
    const job = await this.get(scope, jobId);
    if (job.status !== 'failed' && job.status !== 'done')
      throw conflict('job_not_finished', `job ${jobId} is ${job.status}; only a finished job can be retried`);
    const retried = await retryJob(deps.db, { orgId: scope.orgId, id: jobId, now: deps.clock.now() });
    if (!retried)
      throw conflict(
        'job_pending',
        `job ${jobId} was not retried: a job with its key (${job.dedupeKey ?? '-'}) is already waiting`,
      );
    await deps.audit.append({
      orgId: scope.orgId,
      actor: scope.actor,
      action: 'job.retry',
      target: jobId,
      detail: { kind: job.kind, ...(job.runId ? { runId: job.runId } : {}) },
      at: deps.clock.now(),
    });
    deps.jobsWritten?.();
    return retried;
  }

  /**
   * Asks for a `learning-refresh` of the organization (statistics and memories consolidated by a
   * worker). One waits at a time: asking again while one waits returns it.
   */
  refreshLearning(
    scope: Scope,
    options: { priority?: Priority; runAt?: number } = {},
  ): Promise<{ id: string; created: boolean }> {
    return this.#deps.queue.enqueue({
      kind: jobKinds.learningRefresh,
      orgId: scope.orgId,
      payload: {},
      priority: options.priority ?? 'low',
      dedupeKey: `learning-refresh:${scope.orgId}`,
      ...(options.runAt === undefined ? {} : { runAt: options.runAt }),
    });
  }
}
