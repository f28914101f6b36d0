/**
 * What only the SQL stores (PGlite and PostgreSQL) promise, checked on their rows: the outbox's `jobs`
 * rows, the schema version of stored events, and the per-organization count of active runs that the
 * triggers of 0012_org_active_runs keep.
 */
import { eventSchemaVersion } from '@autonoma/core';
import { describe, expect, it } from 'vitest';
import { queryRows, sql, type Database } from '../../src/store/index.ts';
import { expectCode, isLease, newOrg, newRun, stepCommit, uniqueId, type StoreHarness } from './fixtures.ts';

/** Registers the SQL-only store contract under `SQL store [name]`. */
export function describeSqlStoreContract(
  name: string,
  database: () => Database,
  harness: StoreHarness,
): void {
  const jobRows = (runId: string) =>
    queryRows(
      database().executor,
      sql`SELECT id, org_id, kind, queue, priority, status, payload, run_id, run_at, dedupe_key FROM jobs
          WHERE run_id = ${runId} ORDER BY created_at, id`,
    );

  describe(`SQL store [${name}]`, () => {
    it("writes the outbox job as a pending agent-run row on the run's priority queue", async () => {
      const { runs } = harness.stores();
      const input = await newRun(harness, {
        priority: 'high',
        now: 1_234,
        enqueue: { jobId: uniqueId('job') },
      });
      await runs.create(input);
      expect(await jobRows(input.id)).toEqual([
        {
          id: input.enqueue?.jobId,
          org_id: input.orgId,
          kind: 'agent-run',
          queue: 'high',
          priority: 1,
          status: 'pending',
          payload: { runId: input.id },
          run_id: input.id,
          run_at: expect.anything(),
          dedupe_key: `run:${input.id}`,
        },
      ]);
      expect(Number((await jobRows(input.id))[0]?.run_at)).toBe(1_234);
    });

    it('lets a run have its next job while the previous one is being worked on', async () => {
      const { runs } = harness.stores();
      const first = uniqueId('job');
      const { run } = await runs.create(await newRun(harness, { enqueue: { jobId: first } }));
      await database().executor.execute(
        sql`UPDATE jobs SET status = 'running', locked_by = 'worker' WHERE id = ${first}`,
      );
      const lease = await runs.acquireLease(run.orgId, run.id, {
        owner: 'worker',
        now: 1_100,
        ttlMs: 60_000,
      });
      if (!isLease(lease)) throw new Error(`lease refused: ${lease.reason}`);
      const next = uniqueId('job');
      // Steps that yield while runnable, each asking for its next job.
      await runs.commitStep(lease, stepCommit({ events: [], enqueue: { jobId: next } }));
      await runs.commitStep(
        lease,
        stepCommit({ events: [], stepCount: 2, enqueue: { jobId: uniqueId('job') } }),
      );
      expect((await jobRows(run.id)).map((row) => [row.id, row.status])).toEqual([
        [first, 'running'],
        [next, 'pending'],
      ]);
    });

    it("keeps each organization's count of active runs equal to its runs queued or running", async () => {
      const { runs, runQuota } = harness.stores();
      const db = database().executor;
      const orgId = await newOrg(harness);
      const other = await newOrg(harness);
      const truth = async (org: string) => ({
        counted: Number(
          (
            await queryRows(
              db,
              sql`SELECT COALESCE(sum(n), 0) AS n FROM org_active_runs WHERE org_id = ${org}`,
            )
          )[0]?.n,
        ),
        actual: Number(
          (
            await queryRows(
              db,
              sql`SELECT count(*) AS n FROM runs WHERE org_id = ${org} AND status IN ('queued', 'running')`,
            )
          )[0]?.n,
        ),
      });
      // Created one by one, in parallel (several connections on PostgreSQL), and in one statement.
      const created = await Promise.all(
        Array.from({ length: 8 }, async () => (await runs.create(await newRun(harness, { orgId }))).run),
      );
      await runs.create(await newRun(harness, { orgId: other }));
      await db.execute(
        sql`INSERT INTO runs (id, org_id, agent_id, goal, status, budgets, usage, workspace, created_at, updated_at)
            SELECT r.id || '_' || s.status || g.i, r.org_id, r.agent_id, r.goal, s.status, r.budgets, r.usage, r.workspace,
              r.created_at, r.updated_at
            FROM runs r, generate_series(1, 2) AS g(i), (VALUES ('queued'), ('succeeded')) AS s(status)
            WHERE r.id = ${created[0]?.id ?? ''}`,
      );
      expect(await truth(orgId)).toEqual({ counted: 10, actual: 10 });
      expect(await truth(other)).toEqual({ counted: 1, actual: 1 });
      // Into running (a lease), in parallel; running stays running (a step's commit); out, back, out.
      await Promise.all(
        created
          .slice(0, 4)
          .map((run) => runs.acquireLease(orgId, run.id, { owner: 'w', now: 2_000, ttlMs: 60_000 })),
      );
      await db.execute(sql`UPDATE runs SET step_count = step_count + 1 WHERE org_id = ${orgId}`);
      await Promise.all(
        created
          .slice(0, 6)
          .map((run) => db.execute(sql`UPDATE runs SET status = 'waiting_input' WHERE id = ${run.id}`)),
      );
      expect(await truth(orgId)).toEqual({ counted: 4, actual: 4 });
      await db.execute(sql`UPDATE runs SET status = 'queued' WHERE id = ${created[0]?.id ?? ''}`);
      await db.execute(sql`UPDATE runs SET status = 'failed' WHERE id = ${created[7]?.id ?? ''}`);
      await db.execute(sql`DELETE FROM runs WHERE id = ${created[6]?.id ?? ''}`);
      await db.execute(sql`DELETE FROM runs WHERE id = ${created[5]?.id ?? ''}`);
      expect(await truth(orgId)).toEqual({ counted: 3, actual: 3 });
      // A run moved to another organization is counted there.
      await db.execute(sql`UPDATE runs SET org_id = ${other} WHERE id = ${created[0]?.id ?? ''}`);
      expect(await truth(orgId)).toEqual({ counted: 2, actual: 2 });
      expect(await truth(other)).toEqual({ counted: 2, actual: 2 });
      expect(await runQuota.activeRuns(other)).toBe(2);
    });

    it('refuses to read an event written by a newer schema version', async () => {
      const { runs } = harness.stores();
      const { run } = await runs.create(await newRun(harness));
      await runs.appendEvents(run.orgId, run.id, [{ type: 'step-start', step: 0 }], 1_100);
      const future = eventSchemaVersion + 98;
      await database().executor.execute(
        sql`WITH bumped AS (UPDATE runs SET last_seq = 2 WHERE id = ${run.id} RETURNING id)
            INSERT INTO run_events (run_id, seq, type, at, payload, schema_version)
            SELECT id, 2, 'step-start', 1200, '{"type":"step-start","step":1,"shape":"new"}'::jsonb, ${future}::smallint
            FROM bumped`,
      );
      await expectCode(runs.events(run.orgId, run.id), 'state_version_mismatch');
      await expectCode(runs.events(run.orgId, run.id, 1), 'state_version_mismatch');
      // What this version wrote stays readable.
      expect(await runs.events(run.orgId, run.id, 0, 1)).toEqual([
        { type: 'step-start', step: 0, runId: run.id, seq: 1, at: 1_100 },
      ]);
    });
  });
}
