/** Mapping of `runs` and `run_events` rows to core types, and the SQL fragments shared by run writes. */
import {
  eventSchemaVersion,
  isEphemeral,
  stateVersionMismatch,
  type Enqueue,
  terminalStatuses,
  type Budgets,
  type EventPayload,
  type Goal,
  type Priority,
  type Run,
  type RunEvent,
  type RunStatus,
  type Usage,
} from '@autonoma/core';
import { sql, type SQL } from '../sql.ts';
import { fromJson, toNumber, toNumberOrNull, toStringOrNull, jsonText } from './values.ts';

/** `('succeeded', 'failed', …)`: the terminal statuses as an SQL list (constants, not input). */
export const terminalList: SQL = sql.raw(`(${terminalStatuses.map((status) => `'${status}'`).join(', ')})`);

/**
 * The SQL twin of core's `leaseIsFree`: no one holds the run's lease at `now` (never taken, released, or
 * expired). Every SQL test of a free lease uses this fragment; `runs` columns, unqualified.
 */
export const leaseFree = (now: number): SQL =>
  sql`(lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at < ${now}::bigint)`;

/** A run from a raw `runs` row (snake_case columns). */
export function runFromRow(row: Record<string, unknown>): Run {
  return {
    id: String(row.id),
    orgId: String(row.org_id),
    agentId: String(row.agent_id),
    parentRunId: toStringOrNull(row.parent_run_id),
    goal: fromJson(row.goal) as Goal,
    status: String(row.status) as RunStatus,
    version: toNumber(row.version),
    priority: String(row.priority) as Priority,
    budgets: fromJson(row.budgets) as Budgets,
    usage: fromJson(row.usage) as Usage,
    lastSeq: toNumber(row.last_seq),
    stepCount: toNumber(row.step_count),
    brainState: fromJson(row.brain_state),
    context: fromJson(row.context),
    preparation: fromJson(row.preparation),
    workspace: String(row.workspace),
    answer: toStringOrNull(row.answer),
    reason: toStringOrNull(row.reason),
    leaseOwner: toStringOrNull(row.lease_owner),
    leaseEpoch: toNumber(row.lease_epoch),
    leaseExpiresAt: toNumberOrNull(row.lease_expires_at),
    wakeAt: toNumberOrNull(row.wake_at),
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
    endedAt: toNumberOrNull(row.ended_at),
    finalizedAt: toNumberOrNull(row.finalized_at),
  };
}

/** An event from a raw `run_events` row; one written by a newer schema version is refused. */
export function eventFromRow(row: Record<string, unknown>): RunEvent {
  const version = row.schema_version === undefined ? eventSchemaVersion : toNumber(row.schema_version);
  if (version > eventSchemaVersion) {
    throw stateVersionMismatch(
      'events',
      `event ${String(row.seq)} has schema version ${version}, this version reads up to ${eventSchemaVersion}`,
    );
  }
  return {
    ...(fromJson(row.payload) as EventPayload),
    runId: String(row.run_id),
    seq: toNumber(row.seq),
    at: toNumber(row.at),
  };
}

/** The storable events of a batch (never `text-delta`). */
export const storable = (events: readonly EventPayload[] | undefined): EventPayload[] =>
  (events ?? []).filter((event) => !isEphemeral(event));

/** The events of a batch as committed after `baseSeq`. */
export const sequence = (runId: string, baseSeq: number, events: EventPayload[], at: number): RunEvent[] =>
  events.map((event, index) => ({ ...event, runId, seq: baseSeq + index + 1, at }));

/**
 * A data-modifying CTE named `inserted` that appends `events` after the run updated by the CTE named
 * `updated` (whose `last_seq` already includes them). Nothing is inserted when `updated` matched no row.
 */
export const insertEventsCte = (events: EventPayload[], at: number): SQL => sql`
  inserted AS (
    INSERT INTO run_events (run_id, seq, type, at, payload, schema_version)
    SELECT u.id, u.last_seq - ${events.length}::int + e.ordinality::int, e.payload->>'type', ${at}::bigint, e.payload,
      ${eventSchemaVersion}::smallint
    FROM updated u CROSS JOIN jsonb_array_elements(${jsonText(events)}::jsonb) WITH ORDINALITY AS e(payload, ordinality)
    RETURNING seq
  )`;

/** Queue priority of a run priority (lower runs first), as in the jobs table. */
export const priorityRank = sql.raw(
  `CASE r.priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END`,
);

/**
 * A data-modifying CTE named `outbox` (with its leading comma) that writes the `agent-run` job of the
 * run returned by the CTE named `source`, when `enqueue` is given (and nothing otherwise): the outbox row is part of the same statement as the change
 * that made the run runnable. A pending job of the same run already there makes it a no-op.
 */
export const outboxCte = (source: string, enqueue: Enqueue | undefined, now: number): SQL => {
  // No job: no CTE at all (a separate prepared statement; most step commits write none).
  if (enqueue === undefined) return sql``;
  return sql`,
  outbox AS (
    INSERT INTO jobs (id, org_id, kind, queue, priority, status, payload, run_id, run_at, dedupe_key,
      attempts, max_attempts, created_at, updated_at)
    SELECT ${enqueue.jobId}, r.org_id, 'agent-run', r.priority, ${priorityRank}, 'pending',
      jsonb_build_object('runId', r.id), r.id, ${enqueue.runAt ?? now}::bigint, 'run:' || r.id, 0, 5,
      ${now}::bigint, ${now}::bigint
    FROM ${sql.raw(source)} r
    ON CONFLICT DO NOTHING
    RETURNING id
  )`;
};
