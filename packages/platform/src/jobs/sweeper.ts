/**
 * The sweeper: every worker runs one; a try-lock lets one of them work per tick, and every step is
 * idempotent anyway. Each tick:
 *
 * 1. expires workers whose heartbeat stopped (or that left without releasing their work), and frees
 *    what they held: their runs' leases and their jobs' locks expire now, not when their TTL runs out;
 * 2. writes a job (the outbox row) for every run that needs work and has none waiting or in flight:
 *    runnable with no live lease (its worker died, a drain raced its last commit, Redis lost its job),
 *    or terminal and never finalized; the job continues the run's trace (its `trace_context`);
 * 3. deletes finished jobs and stopped workers older than the retention;
 * 4. starts the conversation turns left waiting behind a run that ended while no process saw it
 *    ({@link SweeperOptions.resumeConversations}: the conversation service, outside the tick's
 *    transaction; its turns' runs get their jobs as they are created).
 *
 * It reads `runs` and `jobs` directly: one statement per step for every organization, rather than the
 * per-organization `RunStore` reads.
 */
import type { Clock } from '@autonoma/core';
import { describeError, jobKinds, terminalStatuses } from '@autonoma/core';
import { queryRows, type Executor } from '../store/driver.ts';
import { sql, type SQL } from '../store/sql.ts';
import type { JobLogger } from './job-logger.ts';
import { silentLogger } from './job-logger.ts';

/** What the sweeper is built from. */
export interface SweeperOptions {
  db: Executor;
  clock: Clock;
  /** Called when a tick wrote jobs (wakes this process's consumers or relay). */
  onJobsWritten?: () => void;
  /**
   * A worker whose heartbeat is older than this is dead: its leases and job locks are freed.
   * @default 5000
   */
  deadAfterMs?: number;
  /**
   * A run must have been still this long before the sweeper writes its job: a process that just created
   * a run to advance it itself has not taken its lease yet. @default 2000
   */
  graceMs?: number;
  /** Finished jobs and stopped workers are deleted after this. @default 7 days */
  retentionMs?: number;
  /**
   * This process alone uses the store (embedded): every lease not held by `ownLeaseOwner` is orphaned.
   */
  ownsStore?: { ownLeaseOwner: string };
  /**
   * Step 4, after a tick that held the lock: starts the conversation turns left waiting behind a run
   * that ended unseen (`ConversationService.resumeStalled`); resolves with how many it started.
   */
  resumeConversations?: () => Promise<number>;
  logger?: JobLogger;
}

/** What one tick did. */
export interface SweepReport {
  /** False when another sweeper held the lock this tick. */
  swept: boolean;
  expiredWorkers: string[];
  /** Runs given a job. */
  requeued: string[];
  deletedJobs: number;
  /** Conversation turns started (step 4). */
  resumedTurns: number;
}

const sweepLock = sql.raw(String(0x4155_5453_5750)); // "AUTSWP"
const terminal = sql.raw(`(${terminalStatuses.map((status) => `'${status}'`).join(', ')})`);
const priorityRank = sql.raw(
  `CASE r.priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END`,
);
/**
 * The trace a requeued run's job continues: the run's own (`trace_context`), or — for a run stored
 * without one — that of its latest job that carried one.
 */
const runTrace = sql.raw(`COALESCE(r.trace_context, (
  SELECT j.payload->'trace' FROM jobs j WHERE j.run_id = r.id AND j.payload ? 'trace'
  ORDER BY j.created_at DESC LIMIT 1))`);

/** Creates a sweeper: call `sweep()` for one tick, or `start()` for a tick every `intervalMs`. */
export function createSweeper(options: SweeperOptions): {
  sweep(): Promise<SweepReport>;
  start(intervalMs?: number): { stop(): Promise<void> };
} {
  const { db, clock } = options;
  const logger = options.logger ?? silentLogger;
  const deadAfterMs = options.deadAfterMs ?? 5000;
  const graceMs = options.graceMs ?? 2000;
  const retentionMs = options.retentionMs ?? 7 * 24 * 3_600_000;

  const sweep = async (): Promise<SweepReport> => {
    const report = await db.transaction(async (tx): Promise<SweepReport> => {
      const locked = await queryRows(tx, sql`SELECT pg_try_advisory_xact_lock(${sweepLock}) AS locked`);
      if (locked[0]?.locked !== true)
        return { swept: false, expiredWorkers: [], requeued: [], deletedJobs: 0, resumedTurns: 0 };
      const now = clock.now();
      const expiredWorkers = await expireDeadWorkers(tx, now, deadAfterMs);
      const requeued = await requeueOrphans(tx, { now, graceMs, ownsStore: options.ownsStore });
      const deletedJobs = await prune(tx, now - retentionMs);
      return { swept: true, expiredWorkers, requeued, deletedJobs, resumedTurns: 0 };
    });
    // Its own transactions (each turn's run is created with its job): never inside the tick's.
    if (report.swept && options.resumeConversations) {
      report.resumedTurns = await options.resumeConversations().catch((error: unknown) => {
        logger.warn({ error: describeError(error) }, 'could not resume waiting conversation turns');
        return 0;
      });
      if (report.resumedTurns > 0)
        logger.info({ turns: report.resumedTurns }, 'started conversation turns left waiting');
    }
    if (report.expiredWorkers.length > 0)
      logger.warn({ workers: report.expiredWorkers }, 'expired dead workers');
    if (report.requeued.length > 0) {
      logger.info({ runs: report.requeued.length }, 'requeued runs that had no job');
      options.onJobsWritten?.();
    }
    return report;
  };

  return {
    sweep,
    start(intervalMs = 2000) {
      let stopped = false;
      let running: Promise<unknown> = Promise.resolve();
      const timer = setInterval(() => {
        if (stopped) return;
        running = sweep().catch((error: unknown) => {
          logger.warn({ error: describeError(error) }, 'sweep failed');
        });
      }, intervalMs);
      timer.unref();
      return {
        async stop() {
          stopped = true;
          clearInterval(timer);
          await running;
        },
      };
    },
  };
}

/** Step 1: dead workers are marked expired; their runs' leases and their jobs' locks expire now. */
async function expireDeadWorkers(tx: Executor, now: number, deadAfterMs: number): Promise<string[]> {
  const dead = await queryRows(
    tx,
    sql`UPDATE workers SET stopped_at = ${now}::bigint, stop_reason = COALESCE(stop_reason, 'expired')
        WHERE stopped_at IS NULL AND heartbeat_at < ${now - deadAfterMs}::bigint
        RETURNING id, lease_owner`,
  );
  if (dead.length === 0) return [];
  const ids = dead.map((row) => String(row.id));
  const owners = dead.flatMap((row) => (row.lease_owner === null ? [] : [String(row.lease_owner)]));
  await tx.execute(
    sql`UPDATE runs SET lease_expires_at = ${now - 1}::bigint
        WHERE lease_owner IN (SELECT jsonb_array_elements_text(${JSON.stringify(owners)}::jsonb))
          AND lease_expires_at >= ${now}::bigint AND status NOT IN ${terminal}`,
  );
  await tx.execute(
    sql`UPDATE jobs SET locked_until = ${now - 1}::bigint
        WHERE locked_by IN (SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)) AND status = 'active'`,
  );
  return ids;
}

/** Step 2: runs that need work and have no job waiting or in flight get one. */
async function requeueOrphans(
  tx: Executor,
  options: { now: number; graceMs: number; ownsStore: SweeperOptions['ownsStore'] },
): Promise<string[]> {
  const { now } = options;
  const free: SQL = options.ownsStore
    ? sql`(r.lease_owner IS NULL OR r.lease_owner <> ${options.ownsStore.ownLeaseOwner} OR r.lease_expires_at < ${now}::bigint)`
    : sql`(r.lease_owner IS NULL OR r.lease_expires_at IS NULL OR r.lease_expires_at < ${now}::bigint)`;
  const rows = await queryRows(
    tx,
    sql`INSERT INTO jobs (id, org_id, kind, queue, priority, status, payload, run_id, agent_id, run_at, dedupe_key,
          attempts, max_attempts, created_at, updated_at)
        SELECT 'job_' || replace(gen_random_uuid()::text, '-', ''), r.org_id, ${jobKinds.agentRun}, r.priority,
          ${priorityRank}, 'pending',
          jsonb_strip_nulls(jsonb_build_object('runId', r.id, 'requeuedBy', 'sweeper', 'trace', ${runTrace})),
          r.id, r.agent_id, ${now}::bigint, 'run:' || r.id, 0, 5, ${now}::bigint, ${now}::bigint
        FROM runs r
        WHERE (
            ((r.status IN ('queued', 'running') OR (r.status IN ('sleeping', 'waiting_input') AND r.wake_at <= ${now}::bigint))
              AND ${free} AND r.updated_at < ${now - options.graceMs}::bigint)
            OR (r.status IN ${terminal} AND r.finalized_at IS NULL AND r.ended_at < ${now - options.graceMs}::bigint)
          )
          AND NOT EXISTS (
            SELECT 1 FROM jobs j WHERE j.run_id = r.id AND j.status IN ('pending', 'sent', 'active')
          )
        ORDER BY r.updated_at
        LIMIT 500
        ON CONFLICT DO NOTHING
        RETURNING run_id`,
  );
  return rows.map((row) => String(row.run_id));
}

/** Step 3: retention. */
async function prune(tx: Executor, before: number): Promise<number> {
  const rows = await queryRows(
    tx,
    sql`DELETE FROM jobs WHERE id IN (
          SELECT id FROM jobs WHERE status IN ('done', 'failed') AND updated_at < ${before}::bigint LIMIT 1000
        ) RETURNING id`,
  );
  await tx.execute(sql`DELETE FROM workers WHERE stopped_at < ${before}::bigint`);
  return rows.length;
}
