/**
 * The cluster queue: BullMQ on Redis carries jobs, the store keeps their record of truth. A job is
 * first a row of `jobs` (written by `enqueue`, or by the run store's outbox in the transaction that
 * made a run runnable); the relay hands due rows to BullMQ — one queue per priority
 * (`<prefix>-critical` … `<prefix>-low`), BullMQ job id = row id — and marks them `sent`. A consumer
 * takes BullMQ jobs from the queues it serves, makes the row `active` (one more attempt) and runs it
 * with the same {@link JobRunner} as the local queue. Retries and deferrals go back to BullMQ as
 * delayed jobs. Redis holds no truth: a job Redis lost (FLUSHALL, a failover) is found by the relay's
 * reconciliation — a `sent` or lapsed `active` row whose BullMQ job is gone — and sent again.
 */
import type {
  BackoffOptions,
  Clock,
  ConsumeOptions,
  IdGenerator,
  JobConsumer,
  JobQueue,
  NewJob,
  Priority,
} from '@autonoma/core';
import { dependencyError, describeError, jobQueues } from '@autonoma/core';
import type * as Bull from 'bullmq';
import type { Job as BullJob, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { queryRows, type Executor } from '../store/driver.ts';
import { sql } from '../store/sql.ts';
import type { JobLogger } from './job-logger.ts';
import { silentLogger } from './job-logger.ts';
import type { JobRow } from './job-rows.ts';
import { insertJob, markForSending, startJob } from './job-rows.ts';
import { JobRunner } from './job-runner.ts';
import { checkConsumeOptions } from './queue-names.ts';
import { createWakeChannel } from './wake-channel.ts';
import type { Wakeup } from './wakeup.ts';
import { createWakeup } from './wakeup.ts';

/** What the BullMQ queue is built from. */
export interface BullmqQueueOptions {
  db: Executor;
  clock: Clock;
  ids: IdGenerator;
  /**
   * This process's relay sleeps on it between passes: notified when this process wrote jobs, when a
   * job ended here (a place freed under a cap), or when another process announced jobs it wrote.
   */
  wakeup: Wakeup;
  redisUrl: string;
  /** Queue names are `<prefix>-<priority>`. @default 'autonoma' */
  prefix?: string;
  /** An organization's cap on `agent-run` jobs in flight when its row sets none. */
  defaultOrgCap: number;
  /** BullMQ's lock on an active job, and the row's lock. A dead consumer's job is redelivered after it. @default 5000 */
  lockMs?: number;
  /** How often BullMQ looks for jobs whose lock lapsed. @default 2000 */
  stalledIntervalMs?: number;
  backoff?: BackoffOptions;
  logger?: JobLogger;
}

/** Options of the relay. */
export interface RelayOptions {
  /** Longest pause between two passes when nothing wakes it. @default 200 */
  intervalMs?: number;
  /** Rows per pass. @default 500 */
  batch?: number;
  /** How often rows are checked against Redis for jobs it lost. @default 5000 */
  reconcileMs?: number;
  /** A `sent` row younger than this is never taken for lost (its add may be in flight). @default 5000 */
  staleAfterMs?: number;
  /** Shortest pause between two passes, so a burst of wake-ups makes one pass. @default 20 */
  minGapMs?: number;
}

/** A relay running in this process. */
export interface Relay {
  /** Announcements of jobs written by other processes received so far: each wakes a pass (wake-channel.ts). */
  readonly woken: number;
  stop(): Promise<void>;
}

/** The BullMQ {@link JobQueue}, plus its relay and a check of the Redis it needs. */
export interface BullmqQueue extends JobQueue {
  /**
   * Starts the outbox relay in this process (any number of processes may run one). It passes at once
   * when this process writes jobs or another process announces some, and every `intervalMs` anyway.
   */
  startRelay(options?: RelayOptions): Relay;
  /**
   * Jobs were written (committed) in this process: wakes its relay at once or, when it runs none (an
   * API replica, `autonoma run`), announces it to the other processes' relays over Redis.
   */
  jobsWritten(): void;
  /** One relay pass and one reconciliation, now (tests, benchmarks). */
  relayOnce(): Promise<{ sent: number; resent: number }>;
  /**
   * Throws a one-line `dependency_unavailable` error naming REDIS_URL when Redis does not answer, and
   * refuses a Redis whose `maxmemory-policy` is not `noeviction` (it would evict BullMQ's jobs).
   */
  check(): Promise<void>;
}

type BullModule = typeof Bull;

/** A Redis URL with its password hidden, for messages. */
export const safeRedisUrl = (url: string): string => {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
};

/** Creates the BullMQ {@link JobQueue}. Nothing connects before the first use. */
export function createBullmqQueue(options: BullmqQueueOptions): BullmqQueue {
  const { db, clock, ids, wakeup } = options;
  const logger = options.logger ?? silentLogger;
  const prefix = options.prefix ?? 'autonoma';
  const lockMs = options.lockMs ?? 5000;
  const queueName = (priority: Priority): string => `${prefix}-${priority}`;
  let bullmq: Promise<BullModule> | undefined;
  const load = (): Promise<BullModule> => (bullmq ??= import('bullmq'));
  // One producer connection for the four queues; consumers get their own (BullMQ blocks on them).
  let producer: Redis | undefined;
  const producerConnection = (): Redis => {
    producer ??= new Redis(options.redisUrl, {
      maxRetriesPerRequest: 3,
      connectionName: `${prefix}-producer`,
      retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
    });
    producer.on('error', () => undefined);
    return producer;
  };
  const queues = new Map<Priority, Queue>();
  const queueOf = async (priority: Priority): Promise<Queue> => {
    const existing = queues.get(priority);
    if (existing) return existing;
    const { Queue } = await load();
    const queue = new Queue(queueName(priority), { connection: producerConnection() });
    queue.on('error', (error) => logger.warn({ error: describeError(error) }, 'BullMQ queue error'));
    queues.set(priority, queue);
    return queue;
  };
  const consumers = new Set<JobConsumer>();
  // Wakes this process's idle consumers when its relay sent jobs.
  const sent = createWakeup();
  // Wakes the relays of other processes when this one, running none, wrote jobs.
  const wakeChannel = createWakeChannel({ redisUrl: options.redisUrl, prefix, logger });
  let relaysHere = 0;
  const jobsWritten = (): void => {
    wakeup.notify();
    if (relaysHere === 0) wakeChannel.announce();
  };

  /** Hands rows to BullMQ, by priority queue; the row id is the BullMQ job id. */
  const send = async (rows: readonly JobRow[]): Promise<void> => {
    for (const priority of jobQueues) {
      const batch = rows.filter((row) => row.priority === priority);
      if (batch.length === 0) continue;
      const queue = await queueOf(priority);
      await queue.addBulk(
        batch.map((row) => ({
          name: row.kind,
          data: { jobId: row.id },
          opts: {
            jobId: row.id,
            delay: Math.max(0, row.runAt - clock.now()),
            attempts: 1,
            removeOnComplete: true,
            removeOnFail: true,
          },
        })),
      );
    }
  };

  /** Rows sent, or undefined when another relay was selecting (it holds the selection's try-lock). */
  const relayPass = async (batch: number): Promise<number | undefined> => {
    const rows = await markForSending(db, {
      now: clock.now(),
      limit: batch,
      queues: jobQueues,
      defaultOrgCap: options.defaultOrgCap,
    });
    if (rows === undefined) return undefined;
    if (rows.length === 0) return 0;
    // Marked first, then added: a crash in between leaves `sent` rows Redis never saw, which the
    // reconciliation sends again; an add that did land is deduplicated by its job id.
    await send(rows);
    sent.notify();
    return rows.length;
  };

  /** Rows BullMQ should hold but does not (Redis lost them) go back to `pending`, to be sent again. */
  const reconcile = async (staleAfterMs: number): Promise<number> => {
    const now = clock.now();
    const suspects = (
      await queryRows(
        db,
        sql`SELECT id, queue, status, updated_at FROM jobs
            WHERE (status = 'sent' AND updated_at < ${now - staleAfterMs}::bigint)
               OR (status = 'active' AND locked_until < ${now - lockMs}::bigint)
            ORDER BY updated_at LIMIT 1000`,
      )
    ).map((row) => ({
      id: String(row.id),
      queue: String(row.queue) as Priority,
      status: String(row.status),
      updatedAt: Number(row.updated_at),
    }));
    let resent = 0;
    for (const suspect of suspects) {
      const state = await (await queueOf(suspect.queue)).getJobState(suspect.id);
      if (state !== 'unknown') continue;
      // Back to `pending`; or `done` when the same key already has a pending job (it supersedes this one).
      const rows = await queryRows(
        db,
        sql`UPDATE jobs j SET locked_by = NULL, locked_until = NULL, updated_at = ${now}::bigint,
              status = CASE WHEN EXISTS (SELECT 1 FROM jobs p WHERE p.status = 'pending' AND p.dedupe_key = j.dedupe_key)
                THEN 'done' ELSE 'pending' END
            WHERE j.id = ${suspect.id} AND j.status = ${suspect.status} AND j.updated_at = ${suspect.updatedAt}::bigint
            RETURNING j.status`,
      ).catch((error: unknown) => {
        logger.warn({ jobId: suspect.id, error: describeError(error) }, 'could not send a lost job again');
        return [];
      });
      resent += rows.filter((row) => row.status === 'pending').length;
    }
    if (resent > 0) {
      logger.warn({ jobs: resent }, 'Redis had lost jobs; they are sent again');
      wakeup.notify();
    }
    return resent;
  };

  return {
    async enqueue(job: NewJob) {
      const result = await insertJob(db, { id: ids.next('job'), now: clock.now(), job });
      jobsWritten();
      return result;
    },

    consume(consume: ConsumeOptions) {
      checkConsumeOptions(consume);
      const consumer = startConsumer(consume, () => consumers.delete(consumer));
      consumers.add(consumer);
      return consumer;
    },

    jobsWritten,

    startRelay(relay = {}) {
      const intervalMs = relay.intervalMs ?? 200;
      const batch = relay.batch ?? 500;
      const reconcileMs = relay.reconcileMs ?? 5000;
      const staleAfterMs = relay.staleAfterMs ?? 5000;
      const minGapMs = Math.min(relay.minGapMs ?? 20, intervalMs);
      const stop = new AbortController();
      relaysHere += 1;
      // Jobs other processes wrote (an API replica's runs) wake this relay as this process's own do.
      const listener = wakeChannel.listen(() => wakeup.notify());
      const loop = (async (): Promise<void> => {
        let reconciledAt = clock.now();
        let retriedBusy = false;
        while (!stop.signal.aborted) {
          const generation = wakeup.generation;
          let sent: number | undefined = 0;
          try {
            sent = await relayPass(batch);
            if (clock.now() - reconciledAt >= reconcileMs) {
              reconciledAt = clock.now();
              await reconcile(staleAfterMs);
            }
          } catch (error) {
            logger.warn({ error: describeError(error) }, 'relay pass failed');
          }
          if (sent === undefined && !retriedBusy) {
            // Another relay was selecting, from a snapshot that may predate what woke this one: look
            // again once its short pass is over rather than a whole interval later (once, so relays
            // never spin on each other).
            retriedBusy = true;
            await new Promise((resolve) => setTimeout(resolve, minGapMs));
            continue;
          }
          retriedBusy = false;
          if (sent === undefined || sent < batch) {
            await wakeup.wait(intervalMs, generation, stop.signal);
            // Jobs written in a burst (every slice that ends writes one) are sent together.
            await new Promise((resolve) => setTimeout(resolve, minGapMs));
          }
        }
      })();
      let stopped: Promise<void> | undefined;
      return {
        get woken() {
          return listener.received;
        },
        stop() {
          stopped ??= (async () => {
            stop.abort();
            await loop;
            await listener.stop();
            relaysHere -= 1;
          })();
          return stopped;
        },
      };
    },

    async relayOnce() {
      const sent = (await relayPass(10_000)) ?? 0;
      const resent = await reconcile(0);
      return { sent, resent };
    },

    check: () => checkRedis(options.redisUrl),

    async close() {
      await Promise.all([...consumers].map((consumer) => consumer.close({ drain: false })));
      await Promise.all([...queues.values()].map((queue) => queue.close().catch(() => undefined)));
      queues.clear();
      await wakeChannel.close();
      producer?.disconnect();
      producer = undefined;
    },
  };

  /**
   * A consumer takes jobs itself (BullMQ's manual processing) rather than through one automatic
   * Worker per queue: before each job it looks at its queues best priority first, so a waiting
   * `critical` job always goes before a `high` one, and it fetches only what it has slots for, so no
   * job waits in one process while another is idle. It renews the BullMQ locks of its jobs; BullMQ's
   * stalled checker (run by every consumer) redelivers the jobs of a consumer that died.
   */
  function startConsumer(consume: ConsumeOptions, onClose: () => void): JobConsumer {
    const owner = consume.consumer ?? ids.next('consumer');
    const runner = new JobRunner({
      db,
      clock,
      owner,
      lockMs,
      backoff: options.backoff ?? {},
      handler: consume.handler,
      onStalled: consume.onStalled,
      requeueAs: 'sent',
      logger,
    });
    const workers: { priority: Priority; worker: Worker }[] = [];
    const held = new Map<string, { job: BullJob; token: string }>();
    const slots = createWakeup();
    const stop = new AbortController();
    let paused = false;
    let tokens = 0;

    const renewer = setInterval(
      () => {
        for (const { job, token } of held.values())
          job.extendLock(token, lockMs).catch((error: unknown) => {
            logger.warn({ jobId: job.id, error: describeError(error) }, 'could not extend a BullMQ lock');
          });
      },
      Math.max(100, Math.floor(lockMs / 3)),
    );
    renewer.unref();

    /** Runs one fetched job and settles it in BullMQ: completed, or delayed to run again. */
    const handle = async (job: BullJob, token: string, module: BullModule): Promise<void> => {
      try {
        const row = await startJob(db, { id: job.id ?? '', owner, now: clock.now(), lockMs });
        let runAt: number | undefined;
        if (row) {
          const outcome = await runner.run(row);
          if (outcome.kind === 'requeued') runAt = outcome.runAt;
        }
        // A finished row makes this delivery a duplicate: it just completes.
        if (runAt === undefined) await job.moveToCompleted(null, token, false);
        else await job.moveToDelayed(runAt, token);
      } catch (error) {
        // Redis lost the job, or another consumer took it over: the row is the truth either way.
        if (!(error instanceof module.DelayedError))
          logger.warn({ jobId: job.id, error: describeError(error) }, 'could not settle a BullMQ job');
      } finally {
        held.delete(job.id ?? '');
        slots.notify();
        // A job ended here frees a place under its agent's and organization's caps: this process's
        // relay may send the next one now rather than at its next pass.
        wakeup.notify();
      }
    };

    /** The next job of the best priority among the queues served, or undefined. */
    const fetch = async (): Promise<{ job: BullJob; token: string } | undefined> => {
      for (const { worker } of workers) {
        const token = `${owner}:${(tokens += 1)}`;
        const job = (await worker.getNextJob(token, { block: false })) as BullJob | undefined;
        if (job) return { job, token };
      }
      return undefined;
    };

    const loop = (async (): Promise<void> => {
      const module = await load();
      for (const priority of consume.queues) {
        const worker = new module.Worker(queueName(priority), null, {
          connection: {
            url: options.redisUrl,
            maxRetriesPerRequest: null,
            connectionName: `${prefix}-worker`,
          },
          autorun: false,
          lockDuration: lockMs,
          stalledInterval: options.stalledIntervalMs ?? 2000,
          // Attempts are counted on the row, where a crash counts too: BullMQ redelivers, the row decides.
          maxStalledCount: 1000,
          name: owner,
        });
        worker.on('error', (error) => logger.warn({ error: describeError(error) }, 'BullMQ worker error'));
        workers.push({ priority, worker });
        worker.startStalledCheckTimer().catch((error: unknown) => {
          logger.warn({ error: describeError(error) }, 'BullMQ stalled checker failed');
        });
      }
      let idleMs = 10;
      while (!stop.signal.aborted) {
        const generation = slots.generation;
        if (paused || held.size >= consume.concurrency || !runner.acceptsMore()) {
          await slots.wait(500, generation, stop.signal);
          continue;
        }
        let next: { job: BullJob; token: string } | undefined;
        try {
          next = await fetch();
        } catch (error) {
          logger.warn({ error: describeError(error) }, 'could not fetch from BullMQ');
        }
        if (next === undefined) {
          // Nothing waiting: poll again soon, less often the longer the queues stay empty.
          await sent.wait(idleMs, sent.generation, stop.signal);
          idleMs = Math.min(idleMs * 2, 100);
          continue;
        }
        idleMs = 10;
        if (stop.signal.aborted || paused) {
          await next.job.moveToDelayed(clock.now(), next.token).catch(() => undefined);
          continue;
        }
        held.set(next.job.id ?? '', next);
        void handle(next.job, next.token, module);
      }
    })();
    loop.catch((error: unknown) =>
      logger.error({ error: describeError(error) }, 'could not consume from BullMQ'),
    );

    return {
      get inFlight() {
        return runner.inFlight;
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
        await loop.catch(() => undefined);
        if (close.drain === true && held.size > 0) {
          runner.drain();
          await waitUntil(() => held.size === 0, slots, close.graceMs ?? 30_000);
        }
        const unfinished = held.size;
        // What is left goes to another consumer's stalled checker: no lock renewal from here on.
        if (unfinished > 0) runner.stop();
        clearInterval(renewer);
        await Promise.all(workers.map(({ worker }) => worker.close(true).catch(() => undefined)));
        onClose();
        return { unfinished };
      },
    };
  }
}

/** Resolves once `done()` holds (checked whenever `wakeup` fires), or after `ms`. */
async function waitUntil(done: () => boolean, wakeup: Wakeup, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) {
    await wakeup.wait(Math.min(250, deadline - Date.now()), wakeup.generation);
  }
}

/** See {@link BullmqQueue.check}. */
export async function checkRedis(url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 3000,
    enableOfflineQueue: false,
  });
  let lastError = '';
  client.on('error', (error: Error) => (lastError = error.message));
  try {
    try {
      await client.connect();
      await client.ping();
    } catch (error) {
      throw dependencyError(
        `cannot reach Redis at REDIS_URL (${safeRedisUrl(url)}): ${lastError || describeError(error)}`,
        error,
      );
    }
    const policy = await maxmemoryPolicy(client);
    if (policy !== undefined && policy !== 'noeviction') {
      throw dependencyError(
        `Redis at REDIS_URL (${safeRedisUrl(url)}) has maxmemory-policy '${policy}'; BullMQ loses jobs under eviction: set it to 'noeviction'`,
      );
    }
  } finally {
    client.disconnect();
  }
}

/** The server's eviction policy: CONFIG GET, or INFO where CONFIG is disabled (managed Redis). */
async function maxmemoryPolicy(client: Redis): Promise<string | undefined> {
  try {
    const reply = (await client.call('CONFIG', 'GET', 'maxmemory-policy')) as unknown;
    if (Array.isArray(reply) && typeof reply[1] === 'string') return reply[1];
  } catch {
    // CONFIG may be renamed or refused; INFO says it too.
  }
  const info = await client.info('memory');
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
}
