/**
 * Runs started through the API, group-committed: the organization's quota, the run, its first job
 * (the outbox) and its audit entry are written in ONE transaction, and concurrent creates share it.
 *
 * A batch is: BEGIN; one statement taking each organization's audit-chain lock (the lock the audit
 * log's appends take); ONE statement that reads each organization's last audit hash and its runs
 * queued or running, decides the quota, inserts the admitted runs with their jobs and appends the
 * created runs' audit entries, chained in SQL (`sha256` of the previous hash and the entry's key-sorted
 * JSON, computed here: exactly `auditHash`); COMMIT. Only when a create found its idempotency key taken
 * are there two more: the runs holding those keys, and those creates' entries (chained here). So 4
 * round trips and one commit per batch whatever its size, of which the organization's lock is held for
 * two (the statement and the commit) — where each create used to cost 9 statements and 2 commits.
 *
 * Guarantees, per create: it resolves only after its commit; the quota is exact across processes
 * (read under the organization's lock, which every intake batch of that organization holds until it
 * commits, from the per-organization count the triggers of 0012_org_active_runs commit with every
 * change to `runs`; a retry of a run already stored is not counted again); the same idempotency key in one
 * batch or in concurrent ones names one run (the unique index decides); an audit entry is committed
 * with the run it describes. A batch that fails is retried one create at a time, so one create's
 * failure is not its neighbours' (a retried create whose first attempt did commit finds its run by
 * id: it answers `created: false`, never a second run).
 */
import type { AuditEntry, CreatedRun, NewRun, Run } from '@autonoma/core';
import { conflict, emptyUsage, storableValue } from '@autonoma/core';
import { sql } from '../sql.ts';
import { queryRows, type Executor } from '../driver.ts';
import { auditHash, auditText } from './audit-log.ts';
import { runFromRow, runJobsCte, runTraceParameter } from './run-rows.ts';
import { jsonText, toNumber } from './values.ts';

/** What a create came to, as its audit entry sees it. */
export interface IntakeOutcome {
  /** The run created, or the one its idempotency key (or id) named. */
  runId: string;
  created: boolean;
  /** When not created through an idempotency key: the request hash stored with the existing run. */
  idempotencyHash?: string | null;
}

/** One create. */
export interface IntakeRequest {
  /** The run, with its first job (`enqueue`) when a queue advances it. */
  run: NewRun;
  /**
   * The organization's limit on runs queued or running: a create that would add a run is refused at
   * it (a retry of a stored run is not). @default no limit
   */
  quota?: number;
  /**
   * The audit entry of an outcome, committed in the same transaction; `undefined` writes none (a
   * request the caller will refuse, such as an idempotency key reused with another body). Asked for
   * the outcome `created` before the batch is written (that entry is chained by the insert itself),
   * and again for the run found when the create stored nothing.
   */
  audit(outcome: IntakeOutcome): AuditEntry | undefined;
}

/** What became of a create: stored (or found by its key or id), or refused by the quota. */
export type IntakeResult =
  | ({ refused: false } & CreatedRun)
  | {
      refused: true;
      /**
       * Runs queued or running in the organization when it was refused (the batch's before it included).
       */
      active: number;
    };

/** Creates runs in group-committed batches. */
export interface RunIntake {
  /** Stores one run (with its audit entry); resolves once committed. */
  submit(request: IntakeRequest): Promise<IntakeResult>;
}

/** Creates one batch writes at most (its statements carry them as one jsonb parameter each). */
const batchLimit = 256;

/**
 * Takes the audit-chain lock of each organization, in the sorted order given (as the audit log does).
 * An expired idempotency key is let go in the same statement (as RunStore.create does before its
 * insert), so the insert, a later statement, can take it for a new run.
 */
function lockOrgs(requests: readonly IntakeRequest[], orgIds: readonly string[]) {
  const keyed = requests.flatMap(({ run }) =>
    run.idempotencyKey !== undefined && run.idempotencyNotBefore !== undefined
      ? [{ org_id: run.orgId, key: run.idempotencyKey, not_before: run.idempotencyNotBefore }]
      : [],
  );
  const release =
    keyed.length === 0
      ? sql``
      : sql`WITH released AS (
              UPDATE runs r SET idempotency_key = NULL
              FROM jsonb_to_recordset(${jsonText(keyed)}::jsonb) AS k(org_id text, key text, not_before bigint)
              WHERE r.org_id = k.org_id AND r.idempotency_key = k.key AND r.created_at < k.not_before
              RETURNING r.id
            )`;
  return sql`${release}
    SELECT pg_advisory_xact_lock(hashtextextended('audit:' || o, 0))
    FROM jsonb_array_elements_text(${jsonText(orgIds)}::jsonb) AS o`;
}

/**
 * One statement, run under the organizations' locks (so its snapshot holds every earlier batch): reads
 * each organization's last audit hash and its runs queued or running (`org_active_runs`, which
 * triggers on `runs` keep: a few rows, however many runs are active); decides
 * the quota — a create that adds a run (no key, or a key no stored run and no create before it holds)
 * is admitted while the active runs plus the runs added before it in the batch stay below its quota; a
 * create that adds none (a retry) is always admitted; inserts the admitted runs and, for those created,
 * their jobs (the outbox, `runJobsCte`: each continues its run's trace) and their audit entries,
 * chained. Answers one row per create, in order: whether admitted, the runs active before it, its
 * organization's last audit hash after the batch's entries, and the run when created.
 */
function insertRuns(requests: readonly IntakeRequest[], orgIds: readonly string[]) {
  // Active runs are read (org_active_runs, kept by triggers on runs) where a create carries a quota.
  const counted = new Set(requests.filter(({ quota }) => quota !== undefined).map(({ run }) => run.orgId));
  const orgs = orgIds.map((orgId) => ({ org_id: orgId, counted: counted.has(orgId) }));
  // The jobs' own time: the batch's (its creates' times differ by the moments they waited for it).
  const jobTime = Math.max(...requests.map(({ run }) => run.now));
  const rows = requests.map(({ run, quota, audit }, index) => {
    const proposed = audit({ runId: run.id, created: true });
    // Cleaned before hashing, so the stored entry is exactly the hashed one (as AuditLog.append).
    const entry = proposed === undefined ? undefined : storableValue(proposed);
    if (entry !== undefined && entry.orgId !== run.orgId)
      throw new Error(`run intake: the audit entry of run ${run.id} names another organization`);
    return {
      ord: index,
      quota: quota ?? null,
      id: run.id,
      org_id: run.orgId,
      agent_id: run.agentId,
      parent_run_id: run.parentRunId ?? null,
      root_run_id: run.rootRunId ?? run.id,
      conversation_id: run.conversationId ?? null,
      depth: run.depth ?? 0,
      goal: run.goal,
      priority: run.priority ?? 'normal',
      budgets: run.budgets,
      workspace: run.workspace,
      idempotency_key: run.idempotencyKey ?? null,
      idempotency_hash: run.idempotencyKey === undefined ? null : (run.idempotencyHash ?? null),
      now: run.now,
      job_id: run.enqueue?.jobId ?? null,
      run_at: run.enqueue?.runAt ?? run.now,
      trace_context: runTraceParameter(run),
      audit_actor: entry?.actor ?? null,
      audit_action: entry?.action ?? null,
      audit_target: entry?.target ?? null,
      audit_detail: entry?.detail ?? null,
      audit_at: entry?.at ?? null,
      audit_text: entry === undefined ? null : auditText(entry),
    };
  });
  return sql`WITH RECURSIVE orgs AS (
      SELECT o.org_id,
        (SELECT a.hash FROM audit_log a WHERE a.org_id = o.org_id ORDER BY a.id DESC LIMIT 1) AS last_hash,
        CASE WHEN o.counted THEN (
          SELECT GREATEST(0, COALESCE(sum(c.n), 0)) FROM org_active_runs c WHERE c.org_id = o.org_id
        ) ELSE 0 END AS active
      FROM jsonb_to_recordset(${jsonText(orgs)}::jsonb) AS o(org_id text, counted boolean)
    ),
    input AS (
      SELECT * FROM jsonb_to_recordset(${jsonText(rows)}::jsonb) AS i(ord int, quota bigint, id text, org_id text,
        agent_id text, parent_run_id text, root_run_id text, conversation_id text, depth int, goal jsonb,
        priority text, budgets jsonb, workspace text, idempotency_key text, idempotency_hash text,
        now bigint, job_id text, run_at bigint, trace_context text, audit_actor text, audit_action text,
        audit_target text, audit_detail jsonb, audit_at bigint, audit_text text)
    ),
    flagged AS (
      -- A create adds a run unless its idempotency key is held already, or by a create before it.
      SELECT i.*, (i.idempotency_key IS NULL OR (
          i.ord = min(i.ord) OVER (PARTITION BY i.org_id, i.idempotency_key)
          AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.org_id = i.org_id AND r.idempotency_key = i.idempotency_key)
        )) AS adds
      FROM input i
    ),
    decided AS (
      SELECT d.*, o.active + d.added - (CASE WHEN d.adds THEN 1 ELSE 0 END) AS active_before,
        (NOT d.adds OR d.quota IS NULL OR o.active + d.added <= d.quota) AS admitted
      FROM (
        SELECT f.*, count(*) FILTER (WHERE f.adds) OVER (PARTITION BY f.org_id ORDER BY f.ord) AS added
        FROM flagged f
      ) d JOIN orgs o ON o.org_id = d.org_id
    ),
    admitted AS (SELECT * FROM decided WHERE admitted),
    created AS (
      INSERT INTO runs (id, org_id, agent_id, parent_run_id, root_run_id, conversation_id, depth, goal, status,
        version, priority, budgets, usage, last_seq, step_count, workspace, lease_epoch, idempotency_key,
        idempotency_hash, created_at, updated_at, trace_context)
      SELECT id, org_id, agent_id, parent_run_id, root_run_id, conversation_id, depth, goal, 'queued',
        0, priority, budgets, ${jsonText(emptyUsage())}::jsonb, 0, 0, workspace, 0, idempotency_key,
        idempotency_hash, now, now, trace_context::jsonb
      FROM admitted ORDER BY ord
      ON CONFLICT DO NOTHING
      RETURNING *
    )${runJobsCte(
      'outbox',
      sql`SELECT a.job_id, r.id, r.org_id, r.agent_id, r.priority, a.run_at, r.trace_context AS trace
          FROM created r JOIN admitted a ON a.id = r.id
          WHERE a.job_id IS NOT NULL`,
      jobTime,
    )},
    entries AS (
      SELECT c.org_id, a.audit_actor, a.audit_action, a.audit_target, a.audit_detail, a.audit_at, a.audit_text,
        row_number() OVER (PARTITION BY c.org_id ORDER BY a.ord) AS n
      FROM created c JOIN admitted a ON a.id = c.id
      WHERE a.audit_text IS NOT NULL
    ),
    chain AS (
      SELECT o.org_id, 0::bigint AS n, COALESCE(o.last_hash, '') AS hash FROM orgs o
      UNION ALL
      SELECT e.org_id, e.n, encode(sha256(convert_to(h.hash || e.audit_text, 'UTF8')), 'hex')
      FROM chain h JOIN entries e ON e.org_id = h.org_id AND e.n = h.n + 1
    ),
    audited AS (
      INSERT INTO audit_log (org_id, actor, action, target, detail, at, prev_hash, hash)
      SELECT e.org_id, e.audit_actor, e.audit_action, e.audit_target, e.audit_detail, e.audit_at, p.hash, h.hash
      FROM entries e
        JOIN chain p ON p.org_id = e.org_id AND p.n = e.n - 1
        JOIN chain h ON h.org_id = e.org_id AND h.n = e.n
      ORDER BY e.org_id, e.n
      RETURNING id
    )
    SELECT d.ord AS intake_ord, d.admitted AS intake_admitted, d.active_before AS intake_active,
      (SELECT h.hash FROM chain h WHERE h.org_id = d.org_id ORDER BY h.n DESC LIMIT 1) AS intake_last_hash,
      c.*
    FROM decided d LEFT JOIN created c ON c.id = d.id
    ORDER BY d.ord`;
}

/** Writes one batch in one transaction; results in the order of `requests`. */
async function writeBatch(
  db: Executor,
  requests: readonly IntakeRequest[],
  locked: () => void,
): Promise<IntakeResult[]> {
  return db.transaction(async (tx) => {
    const orgIds = [...new Set(requests.map((request) => request.run.orgId))].sort();
    await tx.execute(lockOrgs(requests, orgIds));
    locked();
    const lastHashes = new Map<string, string>();
    const created = new Map<string, Run>();
    const results = new Array<IntakeResult | undefined>(requests.length);
    const accepted: number[] = [];
    for (const row of await queryRows(tx, insertRuns(requests, orgIds))) {
      const index = toNumber(row.intake_ord);
      const request = requests[index];
      if (request === undefined)
        throw new Error(`run intake: the statement answered an unknown create ${index}`);
      const lastHash = row.intake_last_hash;
      lastHashes.set(request.run.orgId, lastHash === null || lastHash === undefined ? '' : String(lastHash));
      if (row.intake_admitted !== true)
        results[index] = { refused: true, active: toNumber(row.intake_active) };
      else accepted.push(index);
      if (row.id !== null && row.id !== undefined) created.set(String(row.id), runFromRow(row));
    }

    const outcomes = new Map<number, CreatedRun>();
    const missing = accepted.filter((index) => !created.has((requests[index] as IntakeRequest).run.id));
    const holders =
      missing.length === 0
        ? []
        : await readHolders(
            tx,
            missing.map((index) => requests[index] as IntakeRequest),
          );
    for (const index of accepted) {
      const run = (requests[index] as IntakeRequest).run;
      const stored = created.get(run.id);
      if (stored !== undefined) {
        outcomes.set(index, { run: stored, created: true });
        continue;
      }
      const holder = holders.find((row) =>
        run.idempotencyKey === undefined
          ? String(row.id) === run.id
          : String(row.org_id) === run.orgId && row.idempotency_key === run.idempotencyKey,
      );
      if (holder === undefined) throw conflict('conflict', `run '${run.id}' conflicts with an existing run`);
      const hash = holder.idempotency_hash;
      outcomes.set(index, {
        run: runFromRow(holder),
        created: false,
        ...(run.idempotencyKey === undefined
          ? {}
          : { idempotencyHash: typeof hash === 'string' ? hash : null }),
      });
    }

    // The created runs' entries are chained by the statement; a create that found its run stored gets
    // its entry here, chained after them.
    const entries: Record<string, unknown>[] = [];
    for (const index of accepted) {
      const request = requests[index] as IntakeRequest;
      const outcome = outcomes.get(index) as CreatedRun;
      results[index] = { refused: false, ...outcome };
      if (outcome.created) continue;
      const proposed = request.audit({
        runId: outcome.run.id,
        created: false,
        ...(outcome.idempotencyHash === undefined ? {} : { idempotencyHash: outcome.idempotencyHash }),
      });
      if (proposed === undefined) continue;
      const entry = storableValue(proposed);
      // Chained only under its organization's lock: taken above for the runs' organizations.
      const lastHash = lastHashes.get(entry.orgId);
      if (lastHash === undefined)
        throw new Error(`run intake: an audit entry of organization ${entry.orgId} is not its run's`);
      const hash = auditHash(lastHash, entry);
      entries.push({
        ord: entries.length,
        org_id: entry.orgId,
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        detail: entry.detail,
        at: entry.at,
        prev_hash: lastHash,
        hash,
      });
      lastHashes.set(entry.orgId, hash);
    }
    if (entries.length > 0) {
      await tx.execute(
        sql`INSERT INTO audit_log (org_id, actor, action, target, detail, at, prev_hash, hash)
            SELECT e.org_id, e.actor, e.action, e.target, e.detail, e.at, e.prev_hash, e.hash
            FROM jsonb_to_recordset(${jsonText(entries)}::jsonb) AS e(ord int, org_id text, actor text,
              action text, target text, detail jsonb, at bigint, prev_hash text, hash text)
            ORDER BY e.ord`,
      );
    }
    return results as IntakeResult[];
  });
}

/** The stored runs holding the idempotency keys (or the ids) of creates that inserted nothing. */
async function readHolders(
  tx: Executor,
  requests: readonly IntakeRequest[],
): Promise<Record<string, unknown>[]> {
  const keys = requests.flatMap((request) =>
    request.run.idempotencyKey === undefined
      ? []
      : [{ org_id: request.run.orgId, key: request.run.idempotencyKey }],
  );
  const ids = requests.flatMap((request) =>
    request.run.idempotencyKey !== undefined ? [] : [{ org_id: request.run.orgId, id: request.run.id }],
  );
  return queryRows(
    tx,
    sql`SELECT r.* FROM runs r
        JOIN jsonb_to_recordset(${jsonText(keys)}::jsonb) AS k(org_id text, key text)
          ON r.org_id = k.org_id AND r.idempotency_key = k.key
        UNION ALL
        SELECT r.* FROM runs r
        JOIN jsonb_to_recordset(${jsonText(ids)}::jsonb) AS k(org_id text, id text)
          ON r.org_id = k.org_id AND r.id = k.id`,
  );
}

/** A create waiting for its batch. */
interface Pending {
  request: IntakeRequest;
  resolve(result: IntakeResult): void;
  reject(error: unknown): void;
}

/**
 * Creates the {@link RunIntake} over an {@link Executor}. Creates that arrive while a batch is being
 * written wait for the next one; an idle intake writes a lone create at once (no timer, no added wait).
 * The next batch starts as soon as the current one holds its locks: it takes everything that arrived
 * meanwhile, and its BEGIN and its wait for the organizations' locks overlap the current one's
 * statement and commit, so a lock passes on at the commit without a round trip in between.
 */
export function createRunIntake(db: Executor): RunIntake {
  const pending: Pending[] = [];
  let open = false;
  const settle = async (batch: readonly Pending[], locked: () => void): Promise<void> => {
    try {
      const results = await writeBatch(
        db,
        batch.map((item) => item.request),
        locked,
      );
      batch.forEach((item, index) => item.resolve(results[index] as IntakeResult));
    } catch (error) {
      // The transaction rolled back: nothing of this batch is stored. Alone, the error is this create's.
      if (batch.length === 1) (batch[0] as Pending).reject(error);
      else for (const item of batch) await settle([item], () => undefined);
    }
  };
  const pump = (): void => {
    if (open || pending.length === 0) return;
    open = true;
    let passed = false;
    const passOn = (): void => {
      if (passed) return;
      passed = true;
      open = false;
      pump();
    };
    void settle(pending.splice(0, batchLimit), passOn).finally(passOn);
  };
  return {
    submit(request) {
      return new Promise<IntakeResult>((resolve, reject) => {
        pending.push({ request, resolve, reject });
        pump();
      });
    },
  };
}
