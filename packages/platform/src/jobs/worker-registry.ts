/**
 * The worker registry (`workers` table): each worker process registers what it is (host, pid, version,
 * queues, capabilities, the lease owner id it advances runs under) and heartbeats. A worker whose
 * heartbeat stops is expired by the sweeper, which then frees its runs' leases and its jobs' locks.
 */
import type { Priority } from '@autonoma/core';
import { queryRows, type Executor } from '../store/driver.ts';
import { sql } from '../store/sql.ts';
import {
  fromJson,
  jsonText,
  toNumber,
  toNumberOrNull,
  toStringOrNull,
} from '../store/repositories/values.ts';

/** A registered worker. */
export interface WorkerRecord {
  id: string;
  hostname: string;
  pid: number;
  version: string;
  /** The lease owner id its run service writes on the runs it advances. */
  leaseOwner: string | null;
  transport: 'local' | 'bullmq';
  queues: Priority[];
  capabilities: string[];
  concurrency: number;
  /** Jobs in flight at its last heartbeat. */
  inFlight: number;
  startedAt: number;
  heartbeatAt: number;
  stoppedAt: number | null;
  /** `drained`, `forced` or `expired`. */
  stopReason: string | null;
}

/** What a worker registers. */
export type NewWorker = Omit<WorkerRecord, 'inFlight' | 'heartbeatAt' | 'stoppedAt' | 'stopReason'>;

const workerFromRow = (row: Record<string, unknown>): WorkerRecord => ({
  id: String(row.id),
  hostname: String(row.hostname),
  pid: toNumber(row.pid),
  version: String(row.version ?? ''),
  leaseOwner: toStringOrNull(row.lease_owner),
  transport: String(row.transport) === 'bullmq' ? 'bullmq' : 'local',
  queues: (fromJson(row.queues) ?? []) as Priority[],
  capabilities: (fromJson(row.capabilities) ?? []) as string[],
  concurrency: toNumber(row.concurrency),
  inFlight: toNumber(row.in_flight),
  startedAt: toNumber(row.started_at),
  heartbeatAt: toNumber(row.heartbeat_at),
  stoppedAt: toNumberOrNull(row.stopped_at),
  stopReason: toStringOrNull(row.stop_reason),
});

/** Registration, heartbeats and the list of workers. */
export interface WorkerRegistry {
  register(worker: NewWorker): Promise<WorkerRecord>;
  /**
   * Records that the worker is alive with `inFlight` jobs. A worker the sweeper expired (its heartbeat
   * was late: a long pause) is alive again; its leases were freed meanwhile, so what it was advancing is
   * fenced and goes on elsewhere. False when it had stopped.
   */
  heartbeat(id: string, input: { now: number; inFlight: number }): Promise<boolean>;
  /** The worker stopped, its work released (`drained`). */
  stop(id: string, now: number): Promise<void>;
  /**
   * The worker is leaving without releasing its work (a forced stop): the next sweep expires it at
   * once, freeing its runs' leases and its jobs' locks, instead of waiting for its heartbeat to age.
   */
  abandon(id: string): Promise<void>;
  /** Workers, live ones first, then the most recently stopped. */
  list(options?: { includeStopped?: boolean; limit?: number }): Promise<WorkerRecord[]>;
  /** A worker by id or lease owner. */
  get(idOrLeaseOwner: string): Promise<WorkerRecord | undefined>;
}

/** Creates the {@link WorkerRegistry} over the store. */
export function createWorkerRegistry(db: Executor): WorkerRegistry {
  return {
    async register(worker) {
      const rows = await queryRows(
        db,
        sql`INSERT INTO workers (id, hostname, pid, version, lease_owner, transport, queues, capabilities,
              concurrency, in_flight, started_at, heartbeat_at)
            VALUES (${worker.id}, ${worker.hostname}, ${worker.pid}::int, ${worker.version}, ${worker.leaseOwner},
              ${worker.transport}, ${jsonText(worker.queues)}::jsonb, ${jsonText(worker.capabilities)}::jsonb,
              ${worker.concurrency}::int, 0, ${worker.startedAt}::bigint, ${worker.startedAt}::bigint)
            RETURNING *`,
      );
      const row = rows[0];
      if (row === undefined) throw new Error('worker registration returned no row');
      return workerFromRow(row);
    },
    async heartbeat(id, input) {
      const rows = await queryRows(
        db,
        sql`UPDATE workers SET heartbeat_at = ${input.now}::bigint, in_flight = ${input.inFlight}::int,
              stopped_at = NULL, stop_reason = NULL
            WHERE id = ${id} AND (stopped_at IS NULL OR stop_reason = 'expired') RETURNING id`,
      );
      return rows.length > 0;
    },
    async stop(id, now) {
      await db.execute(
        sql`UPDATE workers SET stopped_at = ${now}::bigint, stop_reason = 'drained', in_flight = 0
            WHERE id = ${id} AND stopped_at IS NULL`,
      );
    },
    async abandon(id) {
      await db.execute(
        sql`UPDATE workers SET heartbeat_at = 0, stop_reason = 'forced' WHERE id = ${id} AND stopped_at IS NULL`,
      );
    },
    async list(options = {}) {
      const rows = await queryRows(
        db,
        sql`SELECT * FROM workers ${options.includeStopped === true ? sql`` : sql`WHERE stopped_at IS NULL`}
            ORDER BY stopped_at DESC NULLS FIRST, started_at DESC LIMIT ${options.limit ?? 100}::int`,
      );
      return rows.map(workerFromRow);
    },
    async get(idOrLeaseOwner) {
      const rows = await queryRows(
        db,
        sql`SELECT * FROM workers WHERE id = ${idOrLeaseOwner} OR lease_owner = ${idOrLeaseOwner}
            ORDER BY started_at DESC LIMIT 1`,
      );
      return rows[0] === undefined ? undefined : workerFromRow(rows[0]);
    },
  };
}

/** True when a worker heartbeat within `deadAfterMs` of `now` and has not stopped. */
export const isAlive = (worker: WorkerRecord, now: number, deadAfterMs: number): boolean =>
  worker.stoppedAt === null && worker.heartbeatAt >= now - deadAfterMs;
