/** Mapping of `runs` and `run_events` rows to core types, and the SQL fragments shared by run writes. */
import {
  eventSchemaVersion,
  isEphemeral,
  stateVersionMismatch,
  type Enqueue,
  type NewRun,
  emptyUsage,
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
import { fromJson, jsonParameter, toNumber, toNumberOrNull, toStringOrNull, jsonText } from './values.ts';

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
    depth: row.depth === undefined ? 0 : toNumber(row.depth),
    rootRunId: toStringOrNull(row.root_run_id) ?? String(row.id),
    conversationId: toStringOrNull(row.conversation_id),
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

/**
 * The `trace_context` a new run is stored with (a `::jsonb` parameter, or NULL): its own, else that of
 * whoever enqueued its first job.
 */
export const runTraceParameter = (run: NewRun): string | null =>
  jsonParameter(run.trace ?? run.enqueue?.trace);

/** Queue priority of a run priority (lower runs first), as in the jobs table. */
export const priorityRank = sql.raw(
  `CASE r.priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END`,
);

/**
 * A data-modifying CTE `name` (with its leading comma) writing the `agent-run` job of each row of `rows`
 * — a SELECT of `job_id, id, org_id, agent_id, priority, run_at, trace` (the run's columns; `trace` the
 * W3C trace context the job continues, or NULL) — in the statement of the change that made those runs
 * runnable. A run that already has a pending job gets no second: that job is due at the earlier of the
 * two times (an answer arriving before a question's deadline). `trace` goes into the payload as `trace`.
 */
export const runJobsCte = (name: string, rows: SQL, now: number): SQL => sql`,
  ${sql.raw(name)} AS (
    INSERT INTO jobs (id, org_id, kind, queue, priority, status, payload, run_id, agent_id, run_at, dedupe_key,
      attempts, max_attempts, created_at, updated_at)
    SELECT r.job_id, r.org_id, 'agent-run', r.priority, ${priorityRank}, 'pending',
      CASE WHEN r.trace IS NULL THEN jsonb_build_object('runId', r.id)
        ELSE jsonb_build_object('runId', r.id, 'trace', r.trace) END,
      r.id, r.agent_id, r.run_at, 'run:' || r.id, 0, 5,
      ${now}::bigint, ${now}::bigint
    FROM (${rows}) r
    ON CONFLICT (dedupe_key) WHERE status = 'pending'
      DO UPDATE SET run_at = LEAST(jobs.run_at, EXCLUDED.run_at), updated_at = EXCLUDED.updated_at
    RETURNING id
  )`;

/**
 * A data-modifying CTE named `outbox` (with its leading comma) that writes the `agent-run` job of the
 * run returned by the CTE named `source`, when `enqueue` is given (and nothing otherwise): the outbox
 * row is part of the same statement as the change that made the run runnable. The job continues the
 * run's trace (its `trace_context`), or — for a run stored without one — the enqueuer's.
 */
export const outboxCte = (source: string, enqueue: Enqueue | undefined, now: number): SQL =>
  // No job: no CTE at all (a separate prepared statement; most step commits write none).
  enqueue === undefined
    ? sql``
    : runJobsCte(
        'outbox',
        sql`SELECT ${enqueue.jobId}::text AS job_id, s.id, s.org_id, s.agent_id, s.priority,
              ${enqueue.runAt ?? now}::bigint AS run_at,
              ${enqueue.trace === undefined ? sql`s.trace_context` : sql`COALESCE(s.trace_context, ${jsonText(enqueue.trace)}::jsonb)`} AS trace
            FROM ${sql.raw(source)} s`,
        now,
      );

/**
 * CTEs (with their leading commas) run after a run in the CTE named `updated` ended: its parent has one
 * open child fewer, and the last one makes a parent in `waiting_children` queued, with its job. The
 * parent's row lock orders concurrent children, and its version changes with every child that ends.
 */
export const childEndedCtes = (now: number): SQL => sql`,
  parent AS (
    UPDATE runs p SET children_open = p.children_open - 1,
      status = CASE WHEN p.children_open = 1 AND p.status = 'waiting_children' THEN 'queued' ELSE p.status END,
      version = p.version + 1, updated_at = GREATEST(p.updated_at, ${now}::bigint)
    FROM updated u
    WHERE p.id = u.parent_run_id AND p.org_id = u.org_id AND p.children_open > 0
    RETURNING p.id, p.org_id, p.agent_id, p.priority, p.status, p.children_open, p.trace_context,
      u.id AS child_id
  )${runJobsCte(
    'parent_job',
    sql`SELECT 'job_wake_' || w.child_id AS job_id, w.id, w.org_id, w.agent_id, w.priority,
          ${now}::bigint AS run_at, w.trace_context AS trace
        FROM parent w WHERE w.status = 'queued' AND w.children_open = 0`,
    now,
  )}`;

/**
 * CTEs (with their leading commas) creating the children a step delegated to, after the run in the CTE
 * named `updated` committed, each with its first job. A child whose id exists is left as it is. A child
 * continues its parent's trace unless given its own (`NewRun.trace`).
 */
export const childrenCtes = (children: readonly NewRun[], now: number): SQL => {
  const rows = children.map((child) => ({
    id: child.id,
    agent_id: child.agentId,
    depth: child.depth ?? 1,
    goal: child.goal,
    priority: child.priority ?? 'normal',
    budgets: child.budgets,
    workspace: child.workspace,
    job_id: child.enqueue?.jobId ?? `job_${child.id}`,
    trace: child.trace ?? null,
  }));
  return sql`,
  children AS (
    INSERT INTO runs (id, org_id, agent_id, parent_run_id, root_run_id, depth, goal, status, version, priority,
      budgets, usage, last_seq, step_count, workspace, lease_epoch, created_at, updated_at, trace_context)
    SELECT c.id, u.org_id, c.agent_id, u.id, COALESCE(u.root_run_id, u.id), c.depth, c.goal, 'queued', 0, c.priority, c.budgets,
      ${jsonText(emptyUsage())}::jsonb, 0, 0, c.workspace, 0, ${now}::bigint, ${now}::bigint,
      COALESCE(c.trace, u.trace_context)
    FROM updated u
      CROSS JOIN jsonb_to_recordset(${jsonText(rows)}::jsonb)
        AS c(id text, agent_id text, depth int, goal jsonb, priority text, budgets jsonb, workspace text, job_id text,
          trace jsonb)
    ON CONFLICT DO NOTHING
    RETURNING id, org_id, agent_id, priority, trace_context
  )${runJobsCte(
    'child_jobs',
    sql`SELECT j.job_id, n.id, n.org_id, n.agent_id, n.priority, ${now}::bigint AS run_at, n.trace_context AS trace
        FROM children n JOIN jsonb_to_recordset(${jsonText(rows)}::jsonb) AS j(id text, job_id text) ON j.id = n.id`,
    now,
  )}`;
};
