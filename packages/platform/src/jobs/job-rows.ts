/**
 * The `jobs` table, shared by both queue adapters: the local queue claims rows directly, the BullMQ
 * queue's relay hands them to Redis. A row is the record of truth of a job — its status, attempts, last
 * error — whatever carries it. Statuses: `pending` (waiting in the store), `sent` (handed to BullMQ),
 * `active` (a consumer is on it, under a lock it renews), `done`, `failed`.
 */
import type { Job, NewJob, Priority } from '@autonoma/core';
import { AutonomaError, jobKinds } from '@autonoma/core';
import { queryRows, type Executor } from '../store/driver.ts';
import { sql, type SQL } from '../store/sql.ts';
import {
  fromJson,
  jsonText,
  toNumber,
  toNumberOrNull,
  toStringOrNull,
} from '../store/repositories/values.ts';

/** Where a job is. */
export type JobStatus = 'pending' | 'sent' | 'active' | 'done' | 'failed';

/** A job row: the job and its bookkeeping. */
export interface JobRow extends Job {
  status: JobStatus;
  runAt: number;
  lockedBy: string | null;
  lockedUntil: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
}

/** Queue rank of a priority, as stored in `jobs.priority` (lower runs first). */
export const priorityRank: Readonly<Record<Priority, number>> = { critical: 0, high: 1, normal: 2, low: 3 };

/** Default `maxAttempts` of a job. */
export const defaultMaxAttempts = 5;

/** A job row from a raw `jobs` row. */
export function jobFromRow(row: Record<string, unknown>): JobRow {
  return {
    id: String(row.id),
    kind: String(row.kind),
    orgId: String(row.org_id),
    priority: String(row.queue) as Priority,
    payload: (fromJson(row.payload) ?? {}) as Record<string, unknown>,
    attempt: toNumber(row.attempts),
    maxAttempts: toNumber(row.max_attempts),
    runId: toStringOrNull(row.run_id),
    agentId: toStringOrNull(row.agent_id),
    dedupeKey: toStringOrNull(row.dedupe_key),
    lastError: toStringOrNull(row.last_error),
    recovered: row.recovered === true,
    createdAt: toNumber(row.created_at),
    status: String(row.status) as JobStatus,
    runAt: toNumber(row.run_at),
    lockedBy: toStringOrNull(row.locked_by),
    lockedUntil: toNumberOrNull(row.locked_until),
    startedAt: toNumberOrNull(row.started_at),
    finishedAt: toNumberOrNull(row.finished_at),
    updatedAt: toNumber(row.updated_at),
  };
}

const isUniqueViolation = (error: unknown): boolean =>
  error instanceof AutonomaError
    ? error.details?.['sqlState'] === '23505'
    : error !== null && typeof error === 'object' && 'code' in error && error.code === '23505';

/**
 * Writes a pending job. With a dedupe key that already has a pending job, nothing is written and that
 * job's id is returned (`created: false`).
 */
export async function insertJob(
  db: Executor,
  input: { id: string; now: number; job: NewJob },
): Promise<{ id: string; created: boolean }> {
  const { job, now } = input;
  const priority = job.priority ?? 'normal';
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const rows = await queryRows(
      db,
      sql`INSERT INTO jobs (id, org_id, kind, queue, priority, status, payload, run_id, agent_id, run_at,
            dedupe_key, attempts, max_attempts, created_at, updated_at)
          VALUES (${input.id}, ${job.orgId}, ${job.kind}, ${priority}, ${priorityRank[priority]}, 'pending',
            ${jsonText(job.payload)}::jsonb, ${job.runId ?? null}, ${job.agentId ?? null},
            ${job.runAt ?? now}::bigint, ${job.dedupeKey ?? null}, 0, ${job.maxAttempts ?? defaultMaxAttempts},
            ${now}::bigint, ${now}::bigint)
          ON CONFLICT DO NOTHING
          RETURNING id`,
    );
    if (rows[0] !== undefined) return { id: String(rows[0].id), created: true };
    if (job.dedupeKey === undefined) break;
    const existing = await queryRows(
      db,
      sql`SELECT id FROM jobs WHERE dedupe_key = ${job.dedupeKey} AND status = 'pending'`,
    );
    // The pending job may have been taken meanwhile: then this one is new after all.
    if (existing[0] !== undefined) return { id: String(existing[0].id), created: false };
  }
  throw new AutonomaError('conflict', `job '${input.id}' conflicts with an existing job`, {
    category: 'user',
  });
}

/** How fair selection picks jobs: caps per organization and per agent, round-robin across organizations. */
export interface FairSelection {
  now: number;
  limit: number;
  queues: readonly Priority[];
  /** Cap on an organization's `agent-run` jobs in flight when its row sets none. */
  defaultOrgCap: number;
  /** Also take `active` jobs whose lock expired (their consumer died): the local queue's recovery. */
  includeStalled: boolean;
}

/** `agent-run` jobs in flight (sent, or active under a live lock), counted per `column`. */
const inFlightBy = (column: 'org_id' | 'agent_id', now: number): SQL => sql`
  SELECT ${sql.raw(column)} AS key, count(*)::int AS n FROM jobs
  WHERE status IN ('sent', 'active') AND kind = ${jobKinds.agentRun} AND ${sql.raw(column)} IS NOT NULL
    AND (locked_until IS NULL OR locked_until >= ${now}::bigint)
  GROUP BY ${sql.raw(column)}`;

/**
 * CTEs ending in `picked`: the ids of the due jobs to take now, row-locked (`FOR UPDATE SKIP LOCKED`).
 * Best priority first; within a priority, round-robin across organizations (every organization's
 * first job, then every second…), so one organization's backlog never delays another's. An
 * `agent-run` job is taken only while its agent is under its `concurrency` and its organization under
 * its cap (`organizations.max_runs_in_flight`, else `defaultOrgCap`), counting jobs already in flight.
 */
function pickedCte(selection: FairSelection): SQL {
  const { now } = selection;
  const ready = (alias: string): SQL => {
    const column = (name: string): SQL => sql.raw(`${alias}.${name}`);
    const waiting = selection.includeStalled
      ? sql`(${column('status')} = 'pending' OR (${column('status')} = 'active' AND ${column('locked_until')} < ${now}::bigint))`
      : sql`${column('status')} = 'pending'`;
    return sql`${waiting} AND ${column('run_at')} <= ${now}::bigint
      AND ${column('queue')} IN (SELECT jsonb_array_elements_text(${jsonText(selection.queues)}::jsonb))`;
  };
  return sql`WITH org_load AS (${inFlightBy('org_id', now)}),
    agent_load AS (${inFlightBy('agent_id', now)}),
    -- Only each organization's first \`limit\` due jobs can be taken now (read through an index): the
    -- ranking below never sorts a whole backlog.
    ready AS (
      SELECT d.*, row_number() OVER (PARTITION BY d.agent_id, d.kind ORDER BY d.priority, d.run_at, d.id) AS agent_rank
      FROM (SELECT DISTINCT o.org_id FROM jobs o WHERE ${ready('o')}) w
        CROSS JOIN LATERAL (
          SELECT j.id, j.org_id, j.agent_id, j.kind, j.priority, j.run_at FROM jobs j
          WHERE j.org_id = w.org_id AND ${ready('j')}
          ORDER BY j.priority, j.run_at, j.id LIMIT ${selection.limit}::int
        ) d
    ),
    agent_ok AS (
      SELECT r.* FROM ready r
        LEFT JOIN agents a ON a.id = r.agent_id
        LEFT JOIN agent_load l ON l.key = r.agent_id
      WHERE r.kind <> ${jobKinds.agentRun} OR a.id IS NULL
        OR r.agent_rank <= COALESCE((a.spec->>'concurrency')::int, 10) - COALESCE(l.n, 0)
    ),
    org_ranked AS (
      SELECT o.*, row_number() OVER (PARTITION BY org_id, kind ORDER BY priority, run_at, id) AS org_rank
      FROM agent_ok o
    ),
    allowed AS (
      SELECT r.id, r.priority, r.org_rank, r.run_at FROM org_ranked r
        LEFT JOIN organizations g ON g.id = r.org_id
        LEFT JOIN org_load l ON l.key = r.org_id
      WHERE r.kind <> ${jobKinds.agentRun}
        OR r.org_rank <= COALESCE(g.max_runs_in_flight, ${selection.defaultOrgCap}::int) - COALESCE(l.n, 0)
      ORDER BY r.priority, r.org_rank, r.run_at, r.id
      LIMIT ${selection.limit}::int
    ),
    picked AS (
      SELECT id, status = 'active' AS recovered FROM jobs WHERE id IN (SELECT id FROM allowed) FOR UPDATE SKIP LOCKED
    )`;
}

/** Key of the advisory lock that serializes fair selections, so caps are counted consistently. */
const selectionLock = sql.raw(String(0x4155_544a_4f42)); // "AUTJOB"

/**
 * The local queue's claim: takes up to `limit` due jobs fairly (see {@link pickedCte}), including
 * stalled ones, and makes them `active` under `owner`'s lock until `now + lockMs`, counting an attempt.
 */
export async function claimJobs(
  db: Executor,
  selection: Omit<FairSelection, 'includeStalled'> & { owner: string; lockMs: number },
): Promise<JobRow[]> {
  const { now } = selection;
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${selectionLock})`);
    const rows = await queryRows(
      tx,
      sql`${pickedCte({ ...selection, includeStalled: true })}
          UPDATE jobs j SET status = 'active', attempts = j.attempts + 1, locked_by = ${selection.owner},
            locked_until = ${now + selection.lockMs}::bigint, started_at = ${now}::bigint, updated_at = ${now}::bigint
          FROM picked WHERE j.id = picked.id
          RETURNING j.*, picked.recovered`,
    );
    return rows.map(jobFromRow).sort(byPriority);
  });
}

/**
 * The relay's selection: marks up to `limit` due pending jobs `sent`, fairly (see {@link pickedCte}).
 * Only one relay selects at a time (a try-lock: a relay that finds another at work skips its turn), so
 * caps are never exceeded by two relays counting at once. Returns the rows marked.
 */
export async function markForSending(
  db: Executor,
  selection: Omit<FairSelection, 'includeStalled'>,
): Promise<JobRow[] | undefined> {
  const { now } = selection;
  // Most passes find nothing due: one indexed look, no transaction.
  const due = await queryRows(
    db,
    sql`SELECT 1 FROM jobs WHERE status = 'pending' AND run_at <= ${now}::bigint LIMIT 1`,
  );
  if (due.length === 0) return [];
  return db.transaction(async (tx) => {
    const locked = await queryRows(tx, sql`SELECT pg_try_advisory_xact_lock(${selectionLock}) AS locked`);
    if (locked[0]?.locked !== true) return undefined;
    const rows = await queryRows(
      tx,
      sql`${pickedCte({ ...selection, includeStalled: false })}
          UPDATE jobs j SET status = 'sent', updated_at = ${now}::bigint
          FROM picked WHERE j.id = picked.id
          RETURNING j.*`,
    );
    return rows.map(jobFromRow).sort(byPriority);
  });
}

const byPriority = (left: JobRow, right: JobRow): number =>
  priorityRank[left.priority] - priorityRank[right.priority] || left.runAt - right.runAt;

/**
 * A BullMQ consumer starts a job it was handed: `active` under its lock, one more attempt. A row
 * `active` under another consumer is taken over: BullMQ redelivers a job only once its lock lapsed,
 * and the lock is renewed by the same process as the row's, so its holder is gone (were it only slow,
 * the run's lease fences it, and its own end of the job no longer matches the attempt). Undefined
 * when the row is finished (or gone): the delivery is a duplicate.
 */
export async function startJob(
  db: Executor,
  input: { id: string; owner: string; now: number; lockMs: number },
): Promise<JobRow | undefined> {
  const { now } = input;
  const rows = await queryRows(
    db,
    sql`UPDATE jobs j SET status = 'active', attempts = j.attempts + 1, locked_by = ${input.owner},
          locked_until = ${now + input.lockMs}::bigint, started_at = ${now}::bigint, updated_at = ${now}::bigint
        FROM (SELECT id, status = 'active' AS recovered FROM jobs WHERE id = ${input.id} FOR UPDATE) p
        WHERE j.id = p.id AND j.status IN ('pending', 'sent', 'active')
        RETURNING j.*, p.recovered`,
  );
  return rows[0] === undefined ? undefined : jobFromRow(rows[0]);
}

/** Which attempt of which job a consumer holds: every write after the start is fenced by it. */
export interface Held {
  id: string;
  attempt: number;
  owner: string;
}

const held = (job: Held): SQL =>
  sql`id = ${job.id} AND attempts = ${job.attempt}::int AND locked_by = ${job.owner} AND status = 'active'`;

/** Ends a held job `done` or `failed`. False when the hold was lost (the job was taken over). */
export async function finishJob(
  db: Executor,
  job: Held,
  end: { status: 'done' | 'failed'; error?: string; now: number },
): Promise<boolean> {
  const rows = await queryRows(
    db,
    sql`UPDATE jobs SET status = ${end.status}, last_error = COALESCE(${end.error ?? null}::text, last_error),
          locked_by = NULL, locked_until = NULL, finished_at = ${end.now}::bigint, updated_at = ${end.now}::bigint
        WHERE ${held(job)} RETURNING id`,
  );
  return rows.length > 0;
}

/**
 * Hands a held job back to run again at `runAt`: `pending` for the local queue, `sent` for BullMQ (which
 * holds the delay). A retry keeps the attempt; a deferral (`countAttempt: false`) gives it back. A
 * `pending` job whose run already has its next pending job (a slice that yielded, then failed to say
 * so) is superseded by it: `done`.
 */
export async function requeueJob(
  db: Executor,
  job: Held,
  next: { status: 'pending' | 'sent'; runAt: number; error: string; countAttempt: boolean; now: number },
): Promise<void> {
  const update = (status: SQL): SQL =>
    sql`UPDATE jobs SET status = ${status}, run_at = ${next.runAt}::bigint, last_error = ${next.error},
          attempts = attempts - ${next.countAttempt ? 0 : 1}::int, locked_by = NULL, locked_until = NULL,
          updated_at = ${next.now}::bigint
        WHERE ${held(job)}`;
  try {
    await db.execute(update(sql`${next.status}`));
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    await db.execute(update(sql`'done'`));
  }
}

/** Extends the locks of the jobs `owner` holds. */
export async function renewLocks(
  db: Executor,
  input: { ids: readonly string[]; owner: string; until: number },
): Promise<void> {
  if (input.ids.length === 0) return;
  await db.execute(
    sql`UPDATE jobs SET locked_until = ${input.until}::bigint
        WHERE id IN (SELECT jsonb_array_elements_text(${jsonText(input.ids)}::jsonb))
          AND locked_by = ${input.owner} AND status = 'active'`,
  );
}

/** One job of an organization. */
export async function getJob(db: Executor, orgId: string, id: string): Promise<JobRow | undefined> {
  const rows = await queryRows(db, sql`SELECT * FROM jobs WHERE id = ${id} AND org_id = ${orgId}`);
  return rows[0] === undefined ? undefined : jobFromRow(rows[0]);
}

/** Filters of {@link listJobs}: newest first; `before` is a cursor (a job id). */
export interface JobFilter {
  orgId: string;
  status?: readonly JobStatus[];
  kind?: string;
  runId?: string;
  limit?: number;
  before?: string;
}

/** Jobs of an organization, newest first. */
export async function listJobs(db: Executor, filter: JobFilter): Promise<JobRow[]> {
  const conditions: SQL[] = [sql`org_id = ${filter.orgId}`];
  if (filter.status !== undefined && filter.status.length > 0)
    conditions.push(sql`status IN (SELECT jsonb_array_elements_text(${jsonText(filter.status)}::jsonb))`);
  if (filter.kind !== undefined) conditions.push(sql`kind = ${filter.kind}`);
  if (filter.runId !== undefined) conditions.push(sql`run_id = ${filter.runId}`);
  if (filter.before !== undefined)
    conditions.push(
      sql`(created_at, id) < (SELECT created_at, id FROM jobs WHERE id = ${filter.before} AND org_id = ${filter.orgId})`,
    );
  const rows = await queryRows(
    db,
    sql`SELECT * FROM jobs WHERE ${sql.join(conditions, sql` AND `)}
        ORDER BY created_at DESC, id DESC LIMIT ${filter.limit ?? 50}::int`,
  );
  return rows.map(jobFromRow);
}

/**
 * Runs a finished job again: a `failed` (or `done`) job becomes `pending` with its attempts reset.
 * Undefined when it is not finished, or when its dedupe key already has a pending job.
 */
export async function retryJob(
  db: Executor,
  input: { orgId: string; id: string; now: number },
): Promise<JobRow | undefined> {
  try {
    const rows = await queryRows(
      db,
      sql`UPDATE jobs SET status = 'pending', attempts = 0, run_at = ${input.now}::bigint, locked_by = NULL,
            locked_until = NULL, finished_at = NULL, updated_at = ${input.now}::bigint
          WHERE id = ${input.id} AND org_id = ${input.orgId} AND status IN ('failed', 'done')
          RETURNING *`,
    );
    return rows[0] === undefined ? undefined : jobFromRow(rows[0]);
  } catch (error) {
    if (isUniqueViolation(error)) return undefined;
    throw error;
  }
}
