/**
 * The local queue: jobs are rows of the store's `jobs` table, so a job accepted before a crash runs
 * after it. Consumers claim due rows fairly (priority, then round-robin across organizations, under
 * per-organization and per-agent caps) with `FOR UPDATE SKIP LOCKED`, hold them under a lock they renew,
 * and poll — woken early when this process writes a job, and on PostgreSQL when another process does
 * (`wakeChannel`: LISTEN/NOTIFY, pg-wake-channel.ts). A consumer that dies leaves its rows `active`
 * under a lock that lapses; the next claim takes them again (one more attempt). Works on PGlite
 * (embedded) and on PostgreSQL, where any number of processes may consume.
 */
import type {
  BackoffOptions,
  Clock,
  ConsumeOptions,
  IdGenerator,
  JobConsumer,
  JobQueue,
  NewJob,
} from '@autonoma/core';
import { describeError } from '@autonoma/core';
import type { Executor } from '../store/driver.ts';
import type { JobLogger } from './job-logger.ts';
import { silentLogger } from './job-logger.ts';
import { claimJobs, insertJob } from './job-rows.ts';
import { JobRunner } from './job-runner.ts';
import { checkConsumeOptions } from './queue-names.ts';
import type { WakeChannel, WakeListener } from './wake-channel.ts';
import type { Wakeup } from './wakeup.ts';
import { createWakeup } from './wakeup.ts';

/** What the local queue is built from. */
export interface LocalQueueOptions {
  db: Executor;
  clock: Clock;
  ids: IdGenerator;
  /** Notified whenever this process writes jobs (including the outbox rows of its run service). */
  wakeup: Wakeup;
  /**
   * Carries this process's writes to the consumers of other processes and theirs to this one's
   * (PostgreSQL's LISTEN/NOTIFY; none on PGlite, which one process holds). Listened to from the first
   * `consume`.
   */
  wakeChannel?: WakeChannel;
  /** An organization's cap on `agent-run` jobs in flight when its row sets none. */
  defaultOrgCap: number;
  /** Longest sleep between two claims when nothing wakes the consumer. @default 500 */
  pollMs?: number;
  /** How long a claimed job's lock lasts without renewal (a dead consumer's jobs come back after it). @default 5000 */
  lockMs?: number;
  backoff?: BackoffOptions;
  logger?: JobLogger;
}

/** Creates the local {@link JobQueue}. */
export function createLocalQueue(options: LocalQueueOptions): JobQueue {
  const consumers = new Set<JobConsumer>();
  // Other processes' writes wake this process's consumers as its own do.
  let listener: WakeListener | undefined;
  return {
    async enqueue(job: NewJob) {
      const result = await insertJob(options.db, {
        id: options.ids.next('job'),
        now: options.clock.now(),
        job,
      });
      options.wakeup.notify();
      options.wakeChannel?.announce();
      return result;
    },
    consume(consume: ConsumeOptions) {
      checkConsumeOptions(consume);
      listener ??= options.wakeChannel?.listen(() => options.wakeup.notify());
      const consumer = startConsumer(options, consume, () => consumers.delete(consumer));
      consumers.add(consumer);
      return consumer;
    },
    async close() {
      await Promise.all([...consumers].map((consumer) => consumer.close({ drain: false })));
      await listener?.stop();
      listener = undefined;
      await options.wakeChannel?.close();
    },
  };
}

function startConsumer(
  options: LocalQueueOptions,
  consume: ConsumeOptions,
  onClose: () => void,
): JobConsumer {
  const { db, clock, wakeup } = options;
  const logger = options.logger ?? silentLogger;
  const pollMs = options.pollMs ?? 500;
  const lockMs = options.lockMs ?? 5000;
  const owner = consume.consumer ?? options.ids.next('consumer');
  const runner = new JobRunner({
    db,
    clock,
    owner,
    lockMs,
    backoff: options.backoff ?? {},
    handler: consume.handler,
    onStalled: consume.onStalled,
    requeueAs: 'pending',
    logger,
  });
  // Wakes the loop when a slot frees, the consumer resumes or closes.
  const slots = createWakeup();
  const stop = new AbortController();
  const running = new Set<Promise<void>>();
  let paused = false;

  const start = (job: Parameters<JobRunner['run']>[0]): void => {
    const task: Promise<void> = runner
      .run(job)
      .then(() => undefined)
      .finally(() => {
        running.delete(task);
        slots.notify();
      });
    running.add(task);
  };

  const loop = (async (): Promise<void> => {
    while (!stop.signal.aborted) {
      const slotGeneration = slots.generation;
      const free = consume.concurrency - running.size;
      if (paused || free <= 0 || !runner.acceptsMore()) {
        await slots.wait(pollMs, slotGeneration, stop.signal);
        continue;
      }
      const jobGeneration = wakeup.generation;
      let claimed: Awaited<ReturnType<typeof claimJobs>> = [];
      try {
        claimed = await claimJobs(db, {
          now: clock.now(),
          limit: free,
          queues: consume.queues,
          defaultOrgCap: options.defaultOrgCap,
          owner,
          lockMs,
        });
      } catch (error) {
        logger.warn({ error: describeError(error) }, 'could not claim jobs');
      }
      if (stop.signal.aborted || paused) {
        // Taken while this consumer stopped: given back at once rather than held until the lock lapses.
        await Promise.all(
          claimed.map((job) => runner.handBack(job, 'consumer stopped').catch(() => undefined)),
        );
        continue;
      }
      for (const job of claimed) start(job);
      if (claimed.length === 0) await wakeup.wait(pollMs, jobGeneration, stop.signal);
    }
  })();

  return {
    get inFlight() {
      return running.size;
    },
    async pause() {
      paused = true;
      slots.notify();
    },
    resume() {
      paused = false;
      slots.notify();
    },
    async close(close = {}) {
      stop.abort();
      slots.notify();
      await loop;
      if (close.drain === true && running.size > 0) {
        runner.drain();
        await settleWithin([...running], close.graceMs ?? 30_000);
      }
      if (running.size > 0) runner.stop();
      onClose();
      return { unfinished: running.size };
    },
  };
}

/** Waits for `tasks` for at most `ms`. */
export async function settleWithin(tasks: readonly Promise<unknown>[], ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([Promise.allSettled(tasks), timeout]);
  clearTimeout(timer);
}
