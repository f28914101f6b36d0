/** The tool-call journal: calls are recorded (fenced by the run lease) before they execute. */
import { conflict, type Lease, type ToolCallJournal, type ToolCallRecord } from '@autonoma/core';
import { sql, type SQL } from '../sql.ts';
import { queryRows, type Executor } from '../driver.ts';
import { terminalList } from './run-rows.ts';
import { fromJson, jsonParameter, toNumber } from './values.ts';

/** A journal record from a raw `tool_calls` row (or its `row_to_json`). */
export const toolCallFromRow = (row: Record<string, unknown>): ToolCallRecord => ({
  key: String(row.key),
  runId: String(row.run_id),
  step: toNumber(row.step),
  callIndex: toNumber(row.call_index),
  tool: String(row.tool),
  args: fromJson(row.args),
  argsHash: String(row.args_hash),
  status: String(row.status) as ToolCallRecord['status'],
  result: fromJson(row.result),
  idempotent: row.idempotent === true,
  createdAt: toNumber(row.created_at),
  updatedAt: toNumber(row.updated_at),
});

/** Creates the {@link ToolCallJournal} over an {@link Executor}. */
export function createToolCallJournal(db: Executor): ToolCallJournal {
  const selectRows = async (query: SQL): Promise<ToolCallRecord[]> =>
    (await queryRows(db, query)).map(toolCallFromRow);
  const ofOrg = (orgId: string): SQL =>
    sql`EXISTS (SELECT 1 FROM runs r WHERE r.id = tool_calls.run_id AND r.org_id = ${orgId})`;
  const get = async (orgId: string, key: string): Promise<ToolCallRecord | undefined> =>
    (await selectRows(sql`SELECT * FROM tool_calls WHERE key = ${key} AND ${ofOrg(orgId)}`))[0];
  return {
    async begin(lease: Lease, record) {
      // One statement: insert only while the lease is current, keep the first record of a key, and
      // report which happened.
      const rows = await queryRows(
        db,
        sql`WITH leased AS (
              SELECT 1 FROM runs
              WHERE id = ${lease.runId} AND org_id = ${lease.orgId} AND lease_owner = ${lease.owner}
                AND lease_epoch = ${lease.epoch}::bigint AND status NOT IN ${terminalList}
            ), inserted AS (
              INSERT INTO tool_calls (key, run_id, step, call_index, tool, args, args_hash, status, result, idempotent, created_at, updated_at)
              SELECT ${record.key}, ${lease.runId}, ${record.step}::int, ${record.callIndex}::int, ${record.tool},
                ${jsonParameter(record.args)}::jsonb, ${record.argsHash}, ${record.status}, NULL, ${record.idempotent},
                ${record.createdAt}::bigint, ${record.createdAt}::bigint
              WHERE EXISTS (SELECT 1 FROM leased)
              ON CONFLICT (key) DO NOTHING
              RETURNING *
            )
            SELECT EXISTS (SELECT 1 FROM leased) AS leased, EXISTS (SELECT 1 FROM inserted) AS inserted,
              (SELECT row_to_json(t) FROM tool_calls t
                WHERE t.key = ${record.key} AND NOT EXISTS (SELECT 1 FROM inserted)) AS existing`,
      );
      const row = rows[0] ?? {};
      if (row.leased !== true) {
        throw conflict(
          'fenced',
          `the lease on run '${lease.runId}' (epoch ${lease.epoch}) is no longer held`,
          {
            runId: lease.runId,
            epoch: lease.epoch,
          },
        );
      }
      // The inserted row is exactly what was sent: it is not read back.
      if (row.inserted === true)
        return {
          record: { ...record, runId: lease.runId, result: null, updatedAt: record.createdAt },
          created: true,
        };
      const existing = row.existing as Record<string, unknown> | null;
      if (existing !== null) return { record: toolCallFromRow(existing), created: false };
      // A concurrent insert committed after this statement's snapshot: read it now.
      const latest = await get(lease.orgId, record.key);
      if (latest === undefined)
        throw conflict('conflict', `tool call '${record.key}' could not be journalled`);
      return { record: latest, created: false };
    },

    get,

    listForRun: (orgId, runId) =>
      selectRows(
        sql`SELECT * FROM tool_calls WHERE run_id = ${runId} AND ${ofOrg(orgId)} ORDER BY step, call_index`,
      ),

    pending: (orgId, runId, step) =>
      selectRows(
        sql`SELECT * FROM tool_calls
            WHERE run_id = ${runId} AND ${ofOrg(orgId)}
              AND ((step = ${step}::int AND status IN ('started', 'succeeded', 'failed')) OR status = 'approved')
            ORDER BY step, call_index`,
      ),

    async resolve(orgId, key, { from, to, result, now }) {
      // A call's completion (started → succeeded/failed) is also written by the step commit that follows;
      // recording it early only spares a resumed run the review of a call that did finish. So it commits
      // asynchronously: a process crash keeps it (the server has it), a server crash may lose it and the
      // run then takes the safe path (re-run if idempotent, else needs_review). Other transitions
      // (approvals) commit synchronously.
      const completion = from === 'started';
      const rows = await queryRows(
        db,
        completion
          ? sql`UPDATE tool_calls SET status = ${to}, result = ${jsonParameter(result)}::jsonb, updated_at = ${now}::bigint
                WHERE key = ${key} AND status = ${from} AND ${ofOrg(orgId)}
                  AND set_config('synchronous_commit', 'off', true) IS NOT NULL
                RETURNING key`
          : sql`UPDATE tool_calls SET status = ${to}, result = ${jsonParameter(result)}::jsonb, updated_at = ${now}::bigint
                WHERE key = ${key} AND status = ${from} AND ${ofOrg(orgId)}
                RETURNING key`,
      );
      return rows.length > 0;
    },
  };
}
