/**
 * What only the SQL stores (PGlite and PostgreSQL) promise, checked on their rows: the outbox's `jobs`
 * rows and the schema version of stored events.
 */
import { eventSchemaVersion } from '@autonoma/core';
import { describe, expect, it } from 'vitest';
import { queryRows, sql, type Database } from '../../src/store/index.ts';
import { expectCode, isLease, newRun, stepCommit, uniqueId, type StoreHarness } from './fixtures.ts';

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
