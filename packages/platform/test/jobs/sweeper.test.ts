/**
 * The sweeper on the store (PGlite, the same SQL as PostgreSQL): dead workers are expired and their
 * leases freed, runs that need work and have no job get one, finished jobs are pruned.
 */
import { AgentSpec, defaultOrgId, type Clock } from '@autonoma/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSweeper } from '../../src/jobs/sweeper.ts';
import { createWorkerRegistry } from '../../src/jobs/worker-registry.ts';
import { createDatabase, queryRows, sql, type Database } from '../../src/store/index.ts';

let database: Database;
beforeAll(async () => {
  database = await createDatabase({ kind: 'pglite' });
});
afterAll(async () => {
  await database?.close();
});

const jobsOf = async (runId: string) =>
  queryRows(
    database.executor,
    sql`SELECT status, payload FROM jobs WHERE run_id = ${runId} ORDER BY created_at`,
  );

describe('sweeper', () => {
  it('expires a dead worker, frees its leases, gives orphaned and unfinalized runs a job, once', async () => {
    const now = 10_000_000;
    const clock: Clock = { now: () => now, sleep: async () => undefined };
    const { runs, agents } = database.stores;
    const agent = await agents.upsert(defaultOrgId, AgentSpec.parse({ name: 'sweep' }), {
      id: 'agt_sweep',
      now: 0,
    });
    const base = {
      orgId: defaultOrgId,
      agentId: agent.id,
      goal: { text: 'x' },
      budgets: {},
      workspace: 'ws_sweep',
    };
    const dead = 'otherhost/4242/dead';
    await createWorkerRegistry(database.executor).register({
      id: 'wkr_dead',
      hostname: 'otherhost',
      pid: 4242,
      version: '0',
      leaseOwner: dead,
      transport: 'bullmq',
      queues: ['normal'],
      capabilities: [],
      concurrency: 1,
      startedAt: now - 60_000,
    });
    // Held by the dead worker, its lease still 50 s from expiring.
    const { run: held } = await runs.create({ ...base, id: 'run_held', now: now - 60_000 });
    const lease = await runs.acquireLease(defaultOrgId, held.id, {
      owner: dead,
      now: now - 10_000,
      ttlMs: 60_000,
    });
    expect('refused' in lease).toBe(false);
    // Queued long ago with no job (its job was lost); and one with its job waiting.
    const { run: orphan } = await runs.create({ ...base, id: 'run_orphan', now: now - 60_000 });
    const { run: queued } = await runs.create({
      ...base,
      id: 'run_queued',
      now: now - 60_000,
      enqueue: { jobId: 'job_q' },
    });
    // Just created by a process about to advance it itself: left alone (grace period).
    const { run: fresh } = await runs.create({ ...base, id: 'run_fresh', now: now - 100 });
    // Ended, never finalized.
    const { run: ended } = await runs.create({ ...base, id: 'run_ended', now: now - 60_000 });
    await runs.transition(
      defaultOrgId,
      ended.id,
      { status: 'queued', version: 0 },
      { status: 'failed', now: now - 30_000 },
    );
    // A job finished long ago, and one finished recently.
    await database.executor.execute(
      sql`INSERT INTO jobs (id, org_id, kind, queue, priority, status, payload, run_at, attempts, max_attempts, created_at, updated_at)
          VALUES ('job_old', ${defaultOrgId}, 'test', 'normal', 2, 'done', '{}'::jsonb, 0, 1, 5, 0, 0),
                 ('job_recent', ${defaultOrgId}, 'test', 'normal', 2, 'done', '{}'::jsonb, 0, 1, 5, ${now}::bigint, ${now}::bigint)`,
    );

    let resumed = 0;
    const sweeper = createSweeper({
      db: database.executor,
      clock,
      deadAfterMs: 5000,
      graceMs: 2000,
      retentionMs: 3_600_000,
      // Step 4: the conversation service's resumeStalled (its own test: test/jobs/embedded-pool.test.ts).
      resumeConversations: async () => {
        resumed += 1;
        return resumed === 1 ? 2 : 0;
      },
    });
    const report = await sweeper.sweep();
    expect(report.swept).toBe(true);
    expect(report.expiredWorkers).toEqual(['wkr_dead']);
    expect([...report.requeued].sort()).toEqual(['run_ended', 'run_held', 'run_orphan']);
    expect(report.deletedJobs).toBe(1);
    expect(report.resumedTurns).toBe(2);
    expect((await runs.get(defaultOrgId, held.id))?.leaseExpiresAt).toBeLessThan(now);
    expect(await jobsOf(orphan.id)).toEqual([
      { status: 'pending', payload: { runId: orphan.id, requeuedBy: 'sweeper' } },
    ]);
    expect(await jobsOf(queued.id)).toHaveLength(1);
    expect(await jobsOf(fresh.id)).toEqual([]);
    const worker = (await createWorkerRegistry(database.executor).list({ includeStopped: true })).find(
      (w) => w.id === 'wkr_dead',
    );
    expect(worker).toMatchObject({ stoppedAt: now, stopReason: 'expired' });

    // Idempotent: a second sweep finds every run with its job.
    const again = await sweeper.sweep();
    expect(again).toMatchObject({
      swept: true,
      expiredWorkers: [],
      requeued: [],
      deletedJobs: 0,
      resumedTurns: 0,
    });
    expect(resumed).toBe(2);
  });
});
