/**
 * The cluster-wide gauges, read from the store on each scrape: the store is the record of truth for
 * runs, jobs (the outbox rows every transport carries) and the worker registry, so every process
 * exports the same values and dashboards and alerts take `max` across processes. Three indexed
 * statements per scrape.
 */
import type { Clock } from '@autonoma/core';
import { queryRows, type Executor } from '../store/driver.ts';
import { sql } from '../store/sql.ts';
import type { GaugeSnapshot, GaugeSource } from './gauges.ts';
import { gaugedRunStatuses, queuePriorities } from './gauges.ts';

/** Options of {@link storeGauges}. */
export interface StoreGaugeOptions {
  db: Executor;
  clock: Clock;
  /**
   * A worker whose heartbeat is older than this is not alive (the sweeper's own threshold).
   * @default 5000
   */
  workerDeadAfterMs?: number;
}

const statusList = sql.raw(gaugedRunStatuses.map((status) => `'${status}'`).join(', '));

const isGaugedStatus = (value: string): value is (typeof gaugedRunStatuses)[number] =>
  (gaugedRunStatuses as readonly string[]).includes(value);
const isPriority = (value: string): value is (typeof queuePriorities)[number] =>
  (queuePriorities as readonly string[]).includes(value);

/** A gauge source over the store: runs by status, approvals waiting, queue depth and age, live workers. */
export function storeGauges(options: StoreGaugeOptions): GaugeSource {
  const { db, clock } = options;
  const deadAfterMs = options.workerDeadAfterMs ?? 5000;
  return async (): Promise<GaugeSnapshot> => {
    const now = clock.now();
    const runRows = await queryRows(
      db,
      sql`SELECT status, count(*)::int AS count FROM runs WHERE status IN (${statusList}) GROUP BY status`,
    );
    // Jobs handed to a transport (`sent`) wait there as much as `pending` ones wait in the store.
    const jobRows = await queryRows(
      db,
      sql`SELECT queue, count(*)::int AS depth, min(run_at) AS oldest FROM jobs
          WHERE status IN ('pending', 'sent') AND run_at <= ${now}::bigint GROUP BY queue`,
    );
    const workerRows = await queryRows(
      db,
      sql`SELECT count(*)::int AS alive FROM workers
          WHERE stopped_at IS NULL AND heartbeat_at >= ${now - deadAfterMs}::bigint`,
    );
    const runsByStatus: NonNullable<GaugeSnapshot['runsByStatus']> = {};
    for (const row of runRows) {
      const status = String(row['status']);
      if (isGaugedStatus(status)) runsByStatus[status] = Number(row['count']);
    }
    const queue: NonNullable<GaugeSnapshot['queue']> = {};
    for (const row of jobRows) {
      const priority = String(row['queue']);
      if (!isPriority(priority)) continue;
      const oldest = Number(row['oldest']);
      queue[priority] = {
        depth: Number(row['depth']),
        oldestAgeSeconds: Number.isFinite(oldest) ? Math.max(0, now - oldest) / 1000 : 0,
      };
    }
    return {
      runsByStatus,
      queue,
      workersAlive: Number(workerRows[0]?.['alive'] ?? 0),
      approvalsWaiting: runsByStatus.waiting_approval ?? 0,
    };
  };
}
