/** Mapping of `runs` and `run_events` rows to core types, and the SQL fragments shared by run writes. */
import {
  isEphemeral,
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
import { fromJson, toNumber, toNumberOrNull, toStringOrNull } from './values.ts';

/** `('succeeded', 'failed', …)`: the terminal statuses as an SQL list (constants, not input). */
export const terminalList: SQL = sql.raw(`(${terminalStatuses.map((status) => `'${status}'`).join(', ')})`);

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
    workspace: String(row.workspace),
    answer: toStringOrNull(row.answer),
    reason: toStringOrNull(row.reason),
    leaseOwner: toStringOrNull(row.lease_owner),
    leaseEpoch: toNumber(row.lease_epoch),
    leaseExpiresAt: toNumberOrNull(row.lease_expires_at),
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
    endedAt: toNumberOrNull(row.ended_at),
  };
}

/** An event from a raw `run_events` row. */
export const eventFromRow = (row: Record<string, unknown>): RunEvent => ({
  ...(fromJson(row.payload) as EventPayload),
  runId: String(row.run_id),
  seq: toNumber(row.seq),
  at: toNumber(row.at),
});

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
    INSERT INTO run_events (run_id, seq, type, at, payload)
    SELECT u.id, u.last_seq - ${events.length}::int + e.ordinality::int, e.payload->>'type', ${at}::bigint, e.payload
    FROM updated u CROSS JOIN jsonb_array_elements(${JSON.stringify(events)}::jsonb) WITH ORDINALITY AS e(payload, ordinality)
    RETURNING seq
  )`;
