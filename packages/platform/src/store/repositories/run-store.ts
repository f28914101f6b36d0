/**
 * The run store on PostgreSQL/PGlite. Every write is one statement: data-modifying CTEs update the run
 * under its compare-and-set or lease fence and append the events only when that update matched, so a
 * step (run state + events + finished tool calls) is one round trip and one commit.
 */
import {
  conflict,
  isTerminal,
  notFound,
  emptyUsage,
  type AcquireLease,
  type CommitResult,
  type EventPayload,
  type Lease,
  type LeaseRefusal,
  type NewRun,
  type Run,
  type RunEvent,
  type RunFilter,
  type RunStore,
  type StepCommit,
} from '@autonoma/core';
import { sql, type SQL } from '../sql.ts';
import { queryRows, type Executor } from '../driver.ts';
import { eventFromRow, insertEventsCte, runFromRow, sequence, storable, terminalList } from './run-rows.ts';
import { jsonParameter } from './values.ts';

const priorityOrder = sql.raw(
  `CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END`,
);

/** Creates the {@link RunStore} over an {@link Executor}. */
export function createRunStore(db: Executor): RunStore {
  const selectOne = async (query: SQL): Promise<Run | undefined> => {
    const row = (await queryRows(db, query))[0];
    return row === undefined ? undefined : runFromRow(row);
  };
  const get = (id: string): Promise<Run | undefined> => selectOne(sql`SELECT * FROM runs WHERE id = ${id}`);

  return {
    async create(run: NewRun) {
      const rows = await queryRows(
        db,
        sql`INSERT INTO runs (id, org_id, agent_id, parent_run_id, goal, status, version, priority, budgets, usage,
              last_seq, step_count, workspace, lease_epoch, idempotency_key, created_at, updated_at)
            VALUES (${run.id}, ${run.orgId}, ${run.agentId}, ${run.parentRunId ?? null}, ${JSON.stringify(run.goal)}::jsonb,
              'queued', 0, ${run.priority ?? 'normal'}, ${JSON.stringify(run.budgets)}::jsonb,
              ${JSON.stringify(emptyUsage())}::jsonb, 0, 0, ${run.workspace}, 0, ${run.idempotencyKey ?? null},
              ${run.now}::bigint, ${run.now}::bigint)
            ON CONFLICT DO NOTHING
            RETURNING *`,
      );
      const created = rows[0];
      if (created !== undefined) return { run: runFromRow(created), created: true };
      const existing =
        run.idempotencyKey === undefined
          ? await get(run.id)
          : await selectOne(
              sql`SELECT * FROM runs WHERE org_id = ${run.orgId} AND idempotency_key = ${run.idempotencyKey}`,
            );
      if (existing === undefined)
        throw conflict('conflict', `run '${run.id}' conflicts with an existing run`);
      return { run: existing, created: false };
    },

    get,

    async list(filter: RunFilter) {
      const conditions: SQL[] = [sql`org_id = ${filter.orgId}`];
      if (filter.status !== undefined && filter.status.length > 0) {
        conditions.push(
          sql`status IN (SELECT jsonb_array_elements_text(${JSON.stringify(filter.status)}::jsonb))`,
        );
      }
      if (filter.agentId !== undefined) conditions.push(sql`agent_id = ${filter.agentId}`);
      if (filter.parentRunId !== undefined) conditions.push(sql`parent_run_id = ${filter.parentRunId}`);
      if (filter.before !== undefined) {
        conditions.push(
          sql`(created_at, id) < (SELECT created_at, id FROM runs WHERE id = ${filter.before} AND org_id = ${filter.orgId})`,
        );
      }
      const rows = await queryRows(
        db,
        sql`SELECT * FROM runs WHERE ${sql.join(conditions, sql` AND `)}
            ORDER BY created_at DESC, id DESC LIMIT ${filter.limit ?? 50}`,
      );
      return rows.map(runFromRow);
    },

    async transition(id, expected, next, events) {
      const stored = storable(events);
      const terminal = isTerminal(next.status);
      const rows = await queryRows(
        db,
        sql`WITH updated AS (
              UPDATE runs SET status = ${next.status}, version = version + 1,
                reason = CASE WHEN ${next.reason !== undefined} THEN ${next.reason ?? null}::text ELSE reason END,
                answer = CASE WHEN ${next.answer !== undefined} THEN ${next.answer ?? null}::text ELSE answer END,
                last_seq = last_seq + ${stored.length}::int, updated_at = ${next.now}::bigint,
                ended_at = CASE WHEN ${terminal} THEN ${next.now}::bigint ELSE ended_at END
              WHERE id = ${id} AND status = ${expected.status} AND version = ${expected.version}
                AND status NOT IN ${terminalList}
              RETURNING *
            ), ${insertEventsCte(stored, next.now)}
            SELECT * FROM updated`,
      );
      const row = rows[0];
      if (row === undefined) return undefined;
      const run = runFromRow(row);
      return { run, events: sequence(id, run.lastSeq - stored.length, stored, next.now) };
    },

    async acquireLease(id, options: AcquireLease) {
      const expiresAt = options.now + options.ttlMs;
      // Common case in one statement: the lease is free, expired or already ours. The conditions are
      // those of the slow path below, checked under the row lock, so a racing acquirer cannot slip in.
      const taken = await queryRows(
        db,
        sql`UPDATE runs SET lease_owner = ${options.owner}, lease_epoch = lease_epoch + 1,
              lease_expires_at = ${expiresAt}::bigint
            WHERE id = ${id} AND status NOT IN ${terminalList}
              AND (lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at < ${options.now}::bigint
                OR lease_owner = ${options.owner})
            RETURNING lease_epoch`,
      );
      const takenEpoch = taken[0]?.lease_epoch;
      if (takenEpoch !== undefined)
        return { runId: id, owner: options.owner, epoch: Number(takenEpoch), expiresAt };
      // Otherwise: read, decide in JS (refusal reason, the steal callback), then update only if the epoch
      // is still the one we saw: a racing acquirer makes our UPDATE match nothing, and we read again.
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const run = await get(id);
        if (run === undefined) return { refused: true, reason: 'not_found' } satisfies LeaseRefusal;
        if (isTerminal(run.status)) return { refused: true, reason: 'terminal', run } satisfies LeaseRefusal;
        const free =
          run.leaseOwner === null ||
          run.leaseExpiresAt === null ||
          run.leaseExpiresAt < options.now ||
          run.leaseOwner === options.owner ||
          (options.steal?.(run.leaseOwner) ?? false);
        if (!free) return { refused: true, reason: 'held', run } satisfies LeaseRefusal;
        const rows = await queryRows(
          db,
          sql`UPDATE runs SET lease_owner = ${options.owner}, lease_epoch = lease_epoch + 1,
                lease_expires_at = ${expiresAt}::bigint
              WHERE id = ${id} AND lease_epoch = ${run.leaseEpoch}::bigint AND status NOT IN ${terminalList}
              RETURNING lease_epoch`,
        );
        const epoch = rows[0]?.lease_epoch;
        if (epoch !== undefined) return { runId: id, owner: options.owner, epoch: Number(epoch), expiresAt };
      }
      const run = await get(id);
      return { refused: true, reason: 'held', ...(run === undefined ? {} : { run }) } satisfies LeaseRefusal;
    },

    async renewLease(lease: Lease, now: number, ttlMs: number) {
      const rows = await queryRows(
        db,
        sql`UPDATE runs SET lease_expires_at = ${now + ttlMs}::bigint
            WHERE id = ${lease.runId} AND lease_owner = ${lease.owner} AND lease_epoch = ${lease.epoch}::bigint
              AND status NOT IN ${terminalList}
            RETURNING id`,
      );
      return rows.length > 0;
    },

    async releaseLease(lease: Lease) {
      await db.execute(
        sql`UPDATE runs SET lease_owner = NULL, lease_expires_at = NULL
            WHERE id = ${lease.runId} AND lease_owner = ${lease.owner} AND lease_epoch = ${lease.epoch}::bigint`,
      );
    },

    async commitStep(lease: Lease, commit: StepCommit): Promise<CommitResult> {
      const stored = storable(commit.events);
      const terminal = isTerminal(commit.status);
      const completions = (commit.toolCalls ?? []).map((call) => ({
        key: call.key,
        status: call.status,
        result: call.result ?? null,
        now: call.now,
      }));
      // One statement: fenced run update, event append and tool-call completions succeed or fail together.
      // The lease is extended only once half of it is used, so most step commits leave every indexed
      // column of the run row unchanged and PostgreSQL can update it in place (HOT).
      const renewBelow = commit.now + Math.floor((commit.leaseExpiresAt - commit.now) / 2);
      const rows = await queryRows(
        db,
        sql`WITH updated AS (
              UPDATE runs SET status = ${commit.status}, version = version + 1,
                usage = ${JSON.stringify(commit.usage)}::jsonb, step_count = ${commit.stepCount}::int,
                brain_state = ${jsonParameter(commit.brainState)}::jsonb,
                answer = CASE WHEN ${commit.answer !== undefined} THEN ${commit.answer ?? null}::text ELSE answer END,
                reason = CASE WHEN ${commit.reason !== undefined} THEN ${commit.reason ?? null}::text ELSE reason END,
                last_seq = last_seq + ${stored.length}::int, updated_at = ${commit.now}::bigint,
                lease_expires_at = CASE WHEN lease_expires_at IS NULL OR lease_expires_at < ${renewBelow}::bigint
                  THEN ${commit.leaseExpiresAt}::bigint ELSE lease_expires_at END,
                ended_at = CASE WHEN ${terminal} THEN ${commit.now}::bigint ELSE ended_at END
              WHERE id = ${lease.runId} AND lease_owner = ${lease.owner} AND lease_epoch = ${lease.epoch}::bigint
                AND status NOT IN ${terminalList}
              RETURNING *
            ), ${insertEventsCte(stored, commit.now)},
            completed AS (
              UPDATE tool_calls t SET status = c.status, result = c.result, updated_at = c.now
              FROM updated u
                CROSS JOIN jsonb_to_recordset(${JSON.stringify(completions)}::jsonb)
                  AS c(key text, status text, result jsonb, now bigint)
              WHERE t.key = c.key AND t.run_id = u.id AND t.status = 'started'
              RETURNING t.key
            )
            SELECT * FROM updated`,
      );
      const row = rows[0];
      if (row === undefined) {
        throw conflict(
          'fenced',
          `the lease on run '${lease.runId}' (epoch ${lease.epoch}) is no longer held`,
          {
            runId: lease.runId,
            owner: lease.owner,
            epoch: lease.epoch,
          },
        );
      }
      const run = runFromRow(row);
      return { run, events: sequence(run.id, run.lastSeq - stored.length, stored, commit.now) };
    },

    async appendEvents(id: string, events: EventPayload[], now: number): Promise<RunEvent[]> {
      const stored = storable(events);
      // The row lock taken by the UPDATE serializes concurrent appenders: seq has no gaps.
      const rows = await queryRows(
        db,
        sql`WITH updated AS (
              UPDATE runs SET last_seq = last_seq + ${stored.length}::int, updated_at = GREATEST(updated_at, ${now}::bigint)
              WHERE id = ${id}
              RETURNING id, last_seq
            ), ${insertEventsCte(stored, now)}
            SELECT last_seq FROM updated`,
      );
      const row = rows[0];
      if (row === undefined) throw notFound('run', id);
      return sequence(id, Number(row.last_seq) - stored.length, stored, now);
    },

    async events(runId: string, afterSeq = 0, limit = 1000) {
      const rows = await queryRows(
        db,
        sql`SELECT run_id, seq, at, payload FROM run_events
            WHERE run_id = ${runId} AND seq > ${afterSeq}::int ORDER BY seq LIMIT ${limit}`,
      );
      return rows.map(eventFromRow);
    },

    async resumable(orgId: string | undefined, now: number, limit: number) {
      const rows = await queryRows(
        db,
        sql`SELECT * FROM runs
            WHERE status NOT IN ${terminalList}
              AND (lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at < ${now}::bigint)
              ${orgId === undefined ? sql`` : sql`AND org_id = ${orgId}`}
            ORDER BY ${priorityOrder}, created_at, id LIMIT ${limit}`,
      );
      return rows.map(runFromRow);
    },
  };
}
