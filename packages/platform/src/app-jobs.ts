/**
 * The job system (part of the composition root): the queue — BullMQ when the store is PostgreSQL and
 * REDIS_URL is set, else the local queue over the store — with the worker registry, the sweeper and,
 * for BullMQ, the outbox relay. Nothing connects to Redis before it is used.
 */
import type { Clock, IdGenerator, JobQueue } from '@autonoma/core';
import type * as BullmqAdapter from './jobs/bullmq-queue.ts';
import type { Config } from './config/schema.ts';
import type { JobLogger } from './jobs/job-logger.ts';
import { silentLogger } from './jobs/job-logger.ts';
import { createLocalQueue } from './jobs/local-queue.ts';
import { createPgWakeChannel } from './jobs/pg-wake-channel.ts';
import type { SweeperOptions } from './jobs/sweeper.ts';
import { createSweeper } from './jobs/sweeper.ts';
import type { Wakeup } from './jobs/wakeup.ts';
import { createWakeup } from './jobs/wakeup.ts';
import type { WorkerRegistry } from './jobs/worker-registry.ts';
import { createWorkerRegistry } from './jobs/worker-registry.ts';
import type { Database } from './store/database.ts';

/** Something started in the background that can be stopped. */
export interface Stoppable {
  stop(): Promise<void>;
}

/** The queue and what keeps it healthy. */
export interface JobSystem {
  /** `bullmq` in a cluster (PostgreSQL + Redis), `local` otherwise. */
  readonly transport: 'local' | 'bullmq';
  readonly queue: JobQueue;
  readonly registry: WorkerRegistry;
  /**
   * Notified whenever this process writes jobs: wakes its consumers (local) or its relay (BullMQ) —
   * and the other processes' consumers (local on PostgreSQL: NOTIFY) or, in a process that runs no
   * relay (an API replica), their relays (BullMQ: over Redis).
   */
  readonly wakeup: Wakeup;
  /** Throws a one-line error when the transport cannot be used (Redis unreachable, or evicting keys). */
  check(): Promise<void>;
  /** Starts the outbox relay in this process (BullMQ only; nothing to relay for the local queue). */
  startRelay(options?: BullmqAdapter.RelayOptions): Stoppable;
  /** Starts the sweeper in this process (see jobs/sweeper.ts). */
  startSweeper(
    options?: Pick<SweeperOptions, 'ownsStore' | 'deadAfterMs' | 'graceMs' | 'resumeConversations'> & {
      intervalMs?: number;
    },
  ): Stoppable;
  close(): Promise<void>;
}

/** What the job system is built from. */
export interface JobWiring {
  config: Config;
  database: Database;
  clock: Clock;
  ids: IdGenerator;
  logger?: JobLogger;
}

/** Builds the job system of an app; `bullmq` is the loaded BullMQ adapter module in a cluster. */
export function createJobSystem(wiring: JobWiring, bullmq: typeof BullmqAdapter | undefined): JobSystem {
  const { config, database, clock, ids } = wiring;
  const logger = wiring.logger ?? silentLogger;
  const wakeup = createWakeup();
  const db = database.executor;
  const common = {
    db,
    clock,
    ids,
    wakeup,
    defaultOrgCap: config.orgMaxRunsInFlight,
    lockMs: config.jobLockMs,
    logger,
  };
  const registry = createWorkerRegistry(db);
  // The sweeper's requeues wake whoever this process's writes wake (`onJobsWritten`).
  const sweeperStarter =
    (onJobsWritten: () => void): JobSystem['startSweeper'] =>
    (options = {}) =>
      createSweeper({ db, clock, logger, onJobsWritten, ...options }).start(options.intervalMs);
  if (bullmq && config.redisUrl) {
    const queue = bullmq.createBullmqQueue({
      ...common,
      redisUrl: config.redisUrl,
      prefix: config.queuePrefix,
      // A lapsed lock is noticed within this: recovery takes at most the lock plus it. BullMQ runs the
      // check once per interval per queue across the whole fleet (a Redis key guards it), so a short
      // one is cheap: one Lua script per queue every 625 ms at the default lock.
      stalledIntervalMs: Math.min(2000, Math.max(250, Math.floor(config.jobLockMs / 8))),
    });
    return {
      transport: 'bullmq',
      queue,
      registry,
      // Waits are this process's; a notification also reaches other processes' relays when none runs here.
      wakeup: {
        get generation() {
          return wakeup.generation;
        },
        notify: () => queue.jobsWritten(),
        wait: (ms, generation, signal) => wakeup.wait(ms, generation, signal),
      },
      check: () => queue.check(),
      startRelay: (options) => queue.startRelay(options),
      startSweeper: sweeperStarter(() => wakeup.notify()),
      close: () => queue.close(),
    };
  }
  // On PostgreSQL several processes may share the queue: a write here wakes their consumers at once.
  const wakeChannel =
    database.kind === 'postgres' && config.databaseUrl
      ? createPgWakeChannel({ db, url: config.databaseUrl, prefix: config.queuePrefix, logger })
      : undefined;
  const queue = createLocalQueue({ ...common, ...(wakeChannel ? { wakeChannel } : {}) });
  const notify = (): void => {
    wakeup.notify();
    wakeChannel?.announce();
  };
  return {
    transport: 'local',
    queue,
    registry,
    wakeup: {
      get generation() {
        return wakeup.generation;
      },
      notify,
      wait: (ms, generation, signal) => wakeup.wait(ms, generation, signal),
    },
    check: async () => undefined,
    startRelay: () => ({ stop: async () => undefined }),
    startSweeper: sweeperStarter(notify),
    close: () => queue.close(),
  };
}
