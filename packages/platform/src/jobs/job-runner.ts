/**
 * What both queue adapters do with a job once a consumer holds it: run the handler, write how it ended
 * on the job's row (done, failed, retried with backoff, deferred), keep the row's lock alive while it
 * runs, and give up on poison jobs. Only where jobs come from differs (a claim from the store, a BullMQ
 * delivery).
 */
import type { BackoffOptions, Clock, ConsumeOptions, JobResult } from '@autonoma/core';
import { describeError, jobBackoffMs } from '@autonoma/core';
import type { Executor } from '../store/driver.ts';
import type { JobLogger } from './job-logger.ts';
import type { Held, JobRow } from './job-rows.ts';
import { finishJob, renewLocks, requeueJob } from './job-rows.ts';

/** How a held job ended, for the adapter to mirror in its transport. */
export type RunnerOutcome =
  | { kind: 'done' }
  | { kind: 'failed'; error: string }
  /** To run again at `runAt` (a retry or a deferral). */
  | { kind: 'requeued'; runAt: number }
  /** The hold was lost before the end could be written (the job was taken over, or the store failed). */
  | { kind: 'lost' };

/** What a runner is built from. */
export interface JobRunnerOptions {
  db: Executor;
  clock: Clock;
  /** The consumer id written as the rows' `locked_by`. */
  owner: string;
  /** How long a lock lasts; renewed every third of it. */
  lockMs: number;
  backoff: BackoffOptions;
  handler: ConsumeOptions['handler'];
  onStalled: ConsumeOptions['onStalled'];
  /** Status of a job handed back: `pending` (the local queue reads it again) or `sent` (BullMQ holds it). */
  requeueAs: 'pending' | 'sent';
  logger: JobLogger;
  /**
   * A job recovered from a crash from this attempt on runs alone: it waits for the jobs running beside
   * it to end, and none starts beside it (see {@link JobRunner.acceptsMore}). The first recovery runs
   * at once, beside others, so a single worker death delays nothing. @default 3
   */
  isolateFromAttempt?: number;
}

/** Runs held jobs; see the module comment. */
export class JobRunner {
  readonly #options: JobRunnerOptions;
  readonly #held = new Map<string, Held>();
  readonly #drain = new AbortController();
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  /** Handlers running now. */
  #running = 0;
  /** Suspects waiting to run alone, or running. */
  #isolated = 0;
  readonly #settled = new Set<() => void>();

  constructor(options: JobRunnerOptions) {
    this.#options = options;
  }

  /** Jobs being run now. */
  get inFlight(): number {
    return this.#held.size;
  }

  /**
   * False while a job recovered from repeated crashes waits to run, or runs, alone: its consumer takes
   * no job meanwhile, so if it kills the process again it kills nothing else.
   */
  acceptsMore(): boolean {
    return this.#isolated === 0;
  }

  /** Aborts every handler's drain signal (SIGTERM): they finish or checkpoint and return. */
  drain(): void {
    this.#drain.abort(new Error('draining'));
  }

  /** Stops renewing locks (the process is leaving; what it holds will be recovered as stalled). */
  stop(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  /** Gives back a job this consumer holds but will not run (it is stopping): no attempt counted. */
  async handBack(job: JobRow, reason: string): Promise<void> {
    const { db, clock, owner, requeueAs } = this.#options;
    const now = clock.now();
    await requeueJob(
      db,
      { id: job.id, attempt: job.attempt, owner },
      { status: requeueAs, runAt: now, error: job.lastError ?? reason, countAttempt: false, now },
    );
  }

  /** Runs a job this consumer holds (its row is `active` under `owner`) and records its end. */
  async run(job: JobRow): Promise<RunnerOutcome> {
    const options = this.#options;
    const hold: Held = { id: job.id, attempt: job.attempt, owner: options.owner };
    this.#held.set(job.id, hold);
    this.#startHeartbeat();
    try {
      if (job.attempt > job.maxAttempts) return await this.#giveUp(job, hold);
      if (this.#isolated > 0) {
        // A suspect waits here to run alone, or runs: nothing starts beside it, not even a job taken
        // before it was known (BullMQ fetches ahead of the row's start). Handed back, no attempt
        // counted: another consumer runs it, or this one once the suspect is through.
        await this.handBack(job, 'handed back: a job suspected of crashing its worker runs alone here');
        return { kind: 'requeued', runAt: options.clock.now() };
      }
      const alone = job.recovered && job.attempt >= (options.isolateFromAttempt ?? 3);
      let result: JobResult | void;
      if (alone) {
        this.#isolated += 1;
        options.logger.warn(
          { jobId: job.id, attempt: job.attempt },
          'a job that crashed its workers runs alone',
        );
      }
      try {
        while (alone && this.#running > 0) await new Promise<void>((resolve) => this.#settled.add(resolve));
        this.#running += 1;
        result = await options.handler(job, { drain: this.#drain.signal });
      } catch (error) {
        return await this.#failedAttempt(job, hold, describeError(error));
      } finally {
        this.#running -= 1;
        if (alone) this.#isolated -= 1;
        for (const wake of [...this.#settled]) wake();
        this.#settled.clear();
      }
      return await this.#record(hold, result ?? { status: 'done' });
    } catch (error) {
      // The store could not take the end: the lock lapses and the job is recovered as stalled.
      options.logger.warn(
        { jobId: job.id, error: describeError(error) },
        'could not record the end of a job',
      );
      return { kind: 'lost' };
    } finally {
      this.#held.delete(job.id);
      if (this.#held.size === 0) this.stop();
    }
  }

  async #record(hold: Held, result: JobResult): Promise<RunnerOutcome> {
    const { db, clock } = this.#options;
    const now = clock.now();
    if (result.status === 'deferred') {
      const runAt = Math.max(now, result.until);
      await requeueJob(db, hold, {
        status: this.#options.requeueAs,
        runAt,
        error: result.reason,
        countAttempt: false,
        now,
      });
      return { kind: 'requeued', runAt };
    }
    const error = result.status === 'failed' ? result.error : undefined;
    const kept = await finishJob(db, hold, { status: result.status, now, ...(error ? { error } : {}) });
    if (!kept) return { kind: 'lost' };
    return error === undefined ? { kind: 'done' } : { kind: 'failed', error };
  }

  /** A thrown handler: retried after a backoff with jitter, or failed once its attempts are used. */
  async #failedAttempt(job: JobRow, hold: Held, error: string): Promise<RunnerOutcome> {
    const { db, clock, logger } = this.#options;
    const now = clock.now();
    if (job.attempt >= job.maxAttempts) {
      logger.warn({ jobId: job.id, kind: job.kind, attempt: job.attempt, error }, 'job failed for good');
      const kept = await finishJob(db, hold, { status: 'failed', error, now });
      return kept ? { kind: 'failed', error } : { kind: 'lost' };
    }
    const runAt = now + jobBackoffMs(job.attempt, this.#options.backoff);
    logger.info({ jobId: job.id, kind: job.kind, attempt: job.attempt, runAt, error }, 'job will be retried');
    await requeueJob(db, hold, { status: this.#options.requeueAs, runAt, error, countAttempt: true, now });
    return { kind: 'requeued', runAt };
  }

  /** Every attempt of this job died with its consumer: a poison job is failed, never run again. */
  async #giveUp(job: JobRow, hold: Held): Promise<RunnerOutcome> {
    const { db, clock, logger, onStalled } = this.#options;
    const error = `stalled: ${job.maxAttempts} attempts ended with their worker`;
    logger.warn({ jobId: job.id, kind: job.kind, runId: job.runId }, 'poison job: failing it as stalled');
    if (onStalled) await onStalled(job);
    const kept = await finishJob(db, hold, { status: 'failed', error, now: clock.now() });
    return kept ? { kind: 'failed', error } : { kind: 'lost' };
  }

  #startHeartbeat(): void {
    if (this.#heartbeat !== undefined) return;
    const { db, clock, owner, lockMs, logger } = this.#options;
    this.#heartbeat = setInterval(
      () => {
        const ids = [...this.#held.keys()];
        renewLocks(db, { ids, owner, until: clock.now() + lockMs }).catch((error: unknown) => {
          logger.warn({ error: describeError(error) }, 'could not renew job locks');
        });
      },
      Math.max(100, Math.floor(lockMs / 3)),
    );
    this.#heartbeat.unref();
  }
}
