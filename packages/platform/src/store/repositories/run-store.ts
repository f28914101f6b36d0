/**
 * The run store on PostgreSQL/PGlite. Every write is one statement: data-modifying CTEs update the run
 * under its compare-and-set or lease fence and append the events (and the outbox job, when the run
 * becomes runnable) only when that update matched, so a step is one round trip and one commit. Every
 * read and write names the organization: another organization's run is not found.
 */
import {
  conflict,
  isTerminal,
  keepsWakeTime,
  mayTakeLease,
  notFound,
  emptyUsage,
  type AcquireLease,
  type ClaimQuery,
  type CommitResult,
  type CreatedRun,
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
import {
  childEndedCtes,
  childrenCtes,
  eventFromRow,
  insertEventsCte,
  leaseFree,
  outboxCte,
  runFromRow,
  runTraceParameter,
  sequence,
  storable,
  terminalList,
} from './run-rows.ts';
import { fromJson, jsonParameter, jsonText } from './values.ts';

const priorityOrder = sql.raw(
  `CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END`,
);

/**
 * The SET assignments a step commit makes only when it has them (the context when it changed, the
 * preparation at the start, the answer and end of a final step…), each ending in a comma. A typical
 * step sets none of them: a shorter statement for PGlite to parse and plan at every step (PostgreSQL
 * prepares each shape once).
 */
function optionalColumns(commit: StepCommit, terminal: boolean): SQL {
  const parts: SQL[] = [];
  if (commit.context !== undefined) parts.push(sql`context = ${jsonText(commit.context)}::jsonb,`);
  if (commit.preparation !== undefined)
    parts.push(sql`preparation = ${jsonText(commit.preparation)}::jsonb,`);
  if (commit.answer !== undefined) parts.push(sql`answer = ${commit.answer ?? null}::text,`);
  if (commit.reason !== undefined) parts.push(sql`reason = ${commit.reason ?? null}::text,`);
  // The wake time means something only to a sleeping run or one waiting for an answer until then (a
  // woken run is not woken again).
  parts.push(
    keepsWakeTime(commit.status) ? sql`wake_at = ${commit.wakeAt ?? null}::bigint,` : sql`wake_at = NULL,`,
  );
  if (terminal) parts.push(sql`ended_at = ${commit.now}::bigint,`);
  if (terminal && commit.finalize === true) parts.push(sql`finalized_at = ${commit.now}::bigint,`);
  if (commit.children !== undefined && commit.children.length > 0)
    parts.push(sql`children_open = ${commit.children.length}::int,`);
  return sql.join(parts, sql` `);
}

/** A CTE (with its leading comma) writing a step's finished tool calls, after the run `updated` matched. */
const completedCte = (
  completions: { key: string; status: string; result: unknown; now: number }[],
): SQL => sql`,
  completed AS (
    UPDATE tool_calls t SET status = c.status, result = c.result, updated_at = c.now
    FROM updated u
      CROSS JOIN jsonb_to_recordset(${jsonText(completions)}::jsonb)
        AS c(key text, status text, result jsonb, now bigint)
    WHERE t.key = c.key AND t.run_id = u.id AND t.status = 'started'
    RETURNING t.key
  )`;

/** Runnable now: queued, running, or sleeping (or waiting for an answer) past its wake time. */
const runnableNow = (now: number): SQL =>
  sql`(status IN ('queued', 'running') OR (status IN ('sleeping', 'waiting_input') AND wake_at <= ${now}::bigint))`;

/** Creates the {@link RunStore} over an {@link Executor}. */
export function createRunStore(db: Executor): RunStore {
  const selectOne = async (query: SQL): Promise<Run | undefined> => {
    const row = (await queryRows(db, query))[0];
    return row === undefined ? undefined : runFromRow(row);
  };
  const get = (orgId: string, id: string): Promise<Run | undefined> =>
    selectOne(sql`SELECT * FROM runs WHERE id = ${id} AND org_id = ${orgId}`);

  return {
    async create(run: NewRun): Promise<CreatedRun> {
      if (run.idempotencyKey !== undefined && run.idempotencyNotBefore !== undefined) {
        // An expired key is let go first, so the insert below can take it for a new run.
        await db.execute(
          sql`UPDATE runs SET idempotency_key = NULL
              WHERE org_id = ${run.orgId} AND idempotency_key = ${run.idempotencyKey}
                AND created_at < ${run.idempotencyNotBefore}::bigint`,
        );
      }
      const rows = await queryRows(
        db,
        sql`WITH created AS (
              INSERT INTO runs (id, org_id, agent_id, parent_run_id, root_run_id, conversation_id, depth, goal, status, version, priority, budgets, usage,
                last_seq, step_count, workspace, lease_epoch, idempotency_key, idempotency_hash, created_at, updated_at, trace_context)
              VALUES (${run.id}, ${run.orgId}, ${run.agentId}, ${run.parentRunId ?? null}, ${run.rootRunId ?? run.id}, ${run.conversationId ?? null}, ${run.depth ?? 0}::int, ${jsonText(run.goal)}::jsonb,
                'queued', 0, ${run.priority ?? 'normal'}, ${jsonText(run.budgets)}::jsonb,
                ${jsonText(emptyUsage())}::jsonb, 0, 0, ${run.workspace}, 0, ${run.idempotencyKey ?? null},
                ${run.idempotencyKey === undefined ? null : (run.idempotencyHash ?? null)},
                ${run.now}::bigint, ${run.now}::bigint, ${runTraceParameter(run)}::jsonb)
              ON CONFLICT DO NOTHING
              RETURNING *
            )${outboxCte('created', run.enqueue, run.now)}
            SELECT * FROM created`,
      );
      const created = rows[0];
      if (created !== undefined) return { run: runFromRow(created), created: true };
      if (run.idempotencyKey === undefined) {
        const existing = await get(run.orgId, run.id);
        if (existing === undefined)
          throw conflict('conflict', `run '${run.id}' conflicts with an existing run`);
        return { run: existing, created: false };
      }
      const holder = (
        await queryRows(
          db,
          sql`SELECT * FROM runs WHERE org_id = ${run.orgId} AND idempotency_key = ${run.idempotencyKey}`,
        )
      )[0];
      if (holder === undefined) throw conflict('conflict', `run '${run.id}' conflicts with an existing run`);
      const hash = holder['idempotency_hash'];
      return {
        run: runFromRow(holder),
        created: false,
        idempotencyHash: typeof hash === 'string' ? hash : null,
      };
    },

    get,

    async list(filter: RunFilter) {
      const conditions: SQL[] = [sql`org_id = ${filter.orgId}`];
      if (filter.status !== undefined && filter.status.length > 0) {
        conditions.push(sql`status IN (SELECT jsonb_array_elements_text(${jsonText(filter.status)}::jsonb))`);
      }
      if (filter.agentId !== undefined) conditions.push(sql`agent_id = ${filter.agentId}`);
      if (filter.parentRunId !== undefined) conditions.push(sql`parent_run_id = ${filter.parentRunId}`);
      if (filter.conversationId !== undefined)
        conditions.push(sql`conversation_id = ${filter.conversationId}`);
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

    async transition(orgId, id, expected, next) {
      const stored = storable(next.events);
      const terminal = isTerminal(next.status);
      const cascade = next.cascade === true && next.status === 'cancelled';
      // A cascading cancel ends the run's unfinished descendants in the same statement.
      const tree = cascade
        ? sql`RECURSIVE tree AS (
              SELECT id FROM runs WHERE parent_run_id = ${id} AND org_id = ${orgId}
              UNION ALL
              SELECT r.id FROM runs r JOIN tree t ON r.parent_run_id = t.id WHERE r.org_id = ${orgId}
            ),`
        : sql``;
      const cascaded = cascade
        ? sql`,
            cascaded AS (
              UPDATE runs SET status = 'cancelled', version = version + 1,
                reason = ${next.reason ?? 'cancelled with its parent'}::text, wake_at = NULL,
                ended_at = ${next.now}::bigint, updated_at = ${next.now}::bigint
              WHERE id IN (SELECT id FROM tree) AND org_id = ${orgId} AND status NOT IN ${terminalList}
                AND EXISTS (SELECT 1 FROM updated)
              RETURNING id
            )`
        : sql``;
      const rows = await queryRows(
        db,
        sql`WITH ${tree} updated AS (
              UPDATE runs SET status = ${next.status}, version = version + 1,
                reason = CASE WHEN ${next.reason !== undefined} THEN ${next.reason ?? null}::text ELSE reason END,
                answer = CASE WHEN ${next.answer !== undefined} THEN ${next.answer ?? null}::text ELSE answer END,
                last_seq = last_seq + ${stored.length}::int, updated_at = ${next.now}::bigint,
                wake_at = CASE WHEN ${keepsWakeTime(next.status)} THEN wake_at ELSE NULL END,
                ended_at = CASE WHEN ${terminal} THEN ${next.now}::bigint ELSE ended_at END
              WHERE id = ${id} AND org_id = ${orgId} AND status = ${expected.status} AND version = ${expected.version}
                AND status NOT IN ${terminalList}
              RETURNING *
            ), ${insertEventsCte(stored, next.now)}${outboxCte('updated', next.enqueue, next.now)}${terminal ? childEndedCtes(next.now) : sql``}${cascaded}
            SELECT *${cascade ? sql`, (SELECT coalesce(jsonb_agg(id), '[]'::jsonb) FROM cascaded) AS cascaded_ids` : sql``}
            FROM updated`,
      );
      const row = rows[0];
      if (row === undefined) return undefined;
      const run = runFromRow(row);
      return {
        run,
        events: sequence(id, run.lastSeq - stored.length, stored, next.now),
        ...(cascade ? { cascaded: (fromJson(row.cascaded_ids) as string[] | null) ?? [] } : {}),
      };
    },

    async acquireLease(orgId, id, options: AcquireLease) {
      const expiresAt = options.now + options.ttlMs;
      const lease = (epoch: unknown): Lease => ({
        runId: id,
        orgId,
        owner: options.owner,
        epoch: Number(epoch),
        expiresAt,
      });
      // Common case in one statement: the lease is free, expired or already ours — `mayTakeLease` of the
      // slow path below without the steal callback, checked under the row lock, so a racing acquirer
      // cannot slip in.
      const taken = await queryRows(
        db,
        sql`UPDATE runs SET lease_owner = ${options.owner}, lease_epoch = lease_epoch + 1,
              lease_expires_at = ${expiresAt}::bigint
            WHERE id = ${id} AND org_id = ${orgId} AND status NOT IN ${terminalList}
              AND (${leaseFree(options.now)} OR lease_owner = ${options.owner})
            RETURNING lease_epoch`,
      );
      const takenEpoch = taken[0]?.lease_epoch;
      if (takenEpoch !== undefined) return lease(takenEpoch);
      // Otherwise: read, decide in JS (refusal reason, the steal callback), then update only if the epoch
      // is still the one we saw: a racing acquirer makes our UPDATE match nothing, and we read again.
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const run = await get(orgId, id);
        if (run === undefined) return { refused: true, reason: 'not_found' } satisfies LeaseRefusal;
        if (isTerminal(run.status)) return { refused: true, reason: 'terminal', run } satisfies LeaseRefusal;
        if (!mayTakeLease(run, options)) return { refused: true, reason: 'held', run } satisfies LeaseRefusal;
        const rows = await queryRows(
          db,
          sql`UPDATE runs SET lease_owner = ${options.owner}, lease_epoch = lease_epoch + 1,
                lease_expires_at = ${expiresAt}::bigint
              WHERE id = ${id} AND org_id = ${orgId} AND lease_epoch = ${run.leaseEpoch}::bigint
                AND status NOT IN ${terminalList}
              RETURNING lease_epoch`,
        );
        const epoch = rows[0]?.lease_epoch;
        if (epoch !== undefined) return lease(epoch);
      }
      const run = await get(orgId, id);
      return { refused: true, reason: 'held', ...(run === undefined ? {} : { run }) } satisfies LeaseRefusal;
    },

    async renewLease(lease: Lease, now: number, ttlMs: number) {
      const rows = await queryRows(
        db,
        sql`UPDATE runs SET lease_expires_at = ${now + ttlMs}::bigint
            WHERE id = ${lease.runId} AND org_id = ${lease.orgId} AND lease_owner = ${lease.owner}
              AND lease_epoch = ${lease.epoch}::bigint AND status NOT IN ${terminalList}
            RETURNING id`,
      );
      return rows.length > 0;
    },

    async releaseLease(lease: Lease) {
      await db.execute(
        sql`UPDATE runs SET lease_owner = NULL, lease_expires_at = NULL
            WHERE id = ${lease.runId} AND org_id = ${lease.orgId} AND lease_owner = ${lease.owner}
              AND lease_epoch = ${lease.epoch}::bigint`,
      );
    },

    async commitStep(lease: Lease, commit: StepCommit): Promise<CommitResult> {
      const stored = storable(commit.events);
      const terminal = isTerminal(commit.status);
      const children = commit.children ?? [];
      const completions = (commit.toolCalls ?? []).map((call) => ({
        key: call.key,
        status: call.status,
        result: call.result ?? null,
        now: call.now,
      }));
      // One statement: fenced run update, event append, tool-call completions and the outbox job succeed
      // or fail together. The lease is extended only once half of it is used, so most step commits leave
      // every indexed column of the run row unchanged and PostgreSQL can update it in place (HOT).
      const renewBelow = commit.now + Math.floor((commit.leaseExpiresAt - commit.now) / 2);
      const rows = await queryRows(
        db,
        sql`WITH updated AS (
              UPDATE runs SET status = ${commit.status}, version = version + 1,
                usage = ${jsonText(commit.usage)}::jsonb, step_count = ${commit.stepCount}::int,
                brain_state = ${jsonParameter(commit.brainState)}::jsonb,
                ${optionalColumns(commit, terminal)}
                last_seq = last_seq + ${stored.length}::int, updated_at = ${commit.now}::bigint,
                lease_expires_at = CASE WHEN lease_expires_at IS NULL OR lease_expires_at < ${renewBelow}::bigint
                  THEN ${commit.leaseExpiresAt}::bigint ELSE lease_expires_at END
              WHERE id = ${lease.runId} AND org_id = ${lease.orgId} AND lease_owner = ${lease.owner}
                AND lease_epoch = ${lease.epoch}::bigint AND status NOT IN ${terminalList}
                AND last_seq = ${commit.expectedLastSeq}::int
              RETURNING *
            ), ${insertEventsCte(stored, commit.now)}${completions.length === 0 ? sql`` : completedCte(completions)}${outboxCte('updated', commit.enqueue, commit.now)}${children.length > 0 ? childrenCtes(children, commit.now) : sql``}${terminal ? childEndedCtes(commit.now) : sql``}
            SELECT * FROM updated`,
      );
      const row = rows[0];
      if (row === undefined) throw await refusal(lease, commit.expectedLastSeq);
      const run = runFromRow(row);
      return { run, events: sequence(run.id, run.lastSeq - stored.length, stored, commit.now) };
    },

    async appendEvents(orgId: string, id: string, events: EventPayload[], now: number): Promise<RunEvent[]> {
      const stored = storable(events);
      // The row lock taken by the UPDATE serializes concurrent appenders: seq has no gaps.
      const rows = await queryRows(
        db,
        sql`WITH updated AS (
              UPDATE runs SET last_seq = last_seq + ${stored.length}::int, updated_at = GREATEST(updated_at, ${now}::bigint)
              WHERE id = ${id} AND org_id = ${orgId}
              RETURNING id, last_seq
            ), ${insertEventsCte(stored, now)}
            SELECT last_seq FROM updated`,
      );
      const row = rows[0];
      if (row === undefined) throw notFound('run', id);
      return sequence(id, Number(row.last_seq) - stored.length, stored, now);
    },

    async events(orgId: string, runId: string, afterSeq = 0, limit = 1000) {
      const rows = await queryRows(
        db,
        sql`SELECT run_id, seq, at, payload, schema_version FROM run_events
            WHERE run_id = ${runId} AND seq > ${afterSeq}::int
              AND EXISTS (SELECT 1 FROM runs WHERE id = ${runId} AND org_id = ${orgId})
            ORDER BY seq LIMIT ${limit}`,
      );
      return rows.map(eventFromRow);
    },

    async claimable(query: ClaimQuery) {
      const unleased = query.ignoreLeases === true ? sql`` : sql`AND ${leaseFree(query.now)}`;
      const rows = await queryRows(
        db,
        sql`SELECT * FROM runs
            WHERE ${runnableNow(query.now)} ${unleased}
              ${query.orgId === undefined ? sql`` : sql`AND org_id = ${query.orgId}`}
            ORDER BY ${priorityOrder}, created_at, id LIMIT ${query.limit}`,
      );
      return rows.map(runFromRow);
    },

    async finalize(orgId: string, id: string, events: EventPayload[], now: number) {
      const stored = storable(events);
      const rows = await queryRows(
        db,
        sql`WITH updated AS (
              UPDATE runs SET finalized_at = ${now}::bigint, last_seq = last_seq + ${stored.length}::int,
                updated_at = GREATEST(updated_at, ${now}::bigint)
              WHERE id = ${id} AND org_id = ${orgId} AND finalized_at IS NULL AND status IN ${terminalList}
              RETURNING id, last_seq
            ), ${insertEventsCte(stored, now)}
            SELECT last_seq FROM updated`,
      );
      const row = rows[0];
      if (row === undefined) return undefined;
      return sequence(id, Number(row.last_seq) - stored.length, stored, now);
    },

    async unfinalized(query) {
      const rows = await queryRows(
        db,
        sql`SELECT * FROM runs
            WHERE finalized_at IS NULL AND ended_at IS NOT NULL AND ended_at < ${query.endedBefore}::bigint
              ${query.orgId === undefined ? sql`` : sql`AND org_id = ${query.orgId}`}
            ORDER BY ended_at LIMIT ${query.limit}`,
      );
      return rows.map(runFromRow);
    },
  };

  /** Why a step commit matched no row: events appended meanwhile (`stale`), or the lease is gone (`fenced`). */
  async function refusal(lease: Lease, expectedLastSeq: number): Promise<Error> {
    const row = (
      await queryRows(
        db,
        sql`SELECT lease_owner, lease_epoch, status, last_seq FROM runs
            WHERE id = ${lease.runId} AND org_id = ${lease.orgId}`,
      )
    )[0];
    const holds =
      row !== undefined &&
      row.lease_owner === lease.owner &&
      Number(row.lease_epoch) === lease.epoch &&
      !isTerminal(String(row.status) as Run['status']);
    if (holds && Number(row.last_seq) !== expectedLastSeq) {
      return conflict('stale', `run '${lease.runId}' has events after seq ${expectedLastSeq}`);
    }
    return conflict('fenced', `the lease on run '${lease.runId}' (epoch ${lease.epoch}) is no longer held`, {
      runId: lease.runId,
      owner: lease.owner,
      epoch: lease.epoch,
    });
  }
}
