import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, loadMigrations, queryRows, sql, type Database } from '../../src/store/index.ts';
import { describeStoreContracts } from './contracts.ts';
import { newRun, stepCommit, stepEnd, uniqueId } from './fixtures.ts';
import { sqlHarness } from './sql-harness.ts';
import { describeSqlStoreContract } from './sql-store.contract.ts';
import { createScratchDatabase, type ScratchDatabase } from './postgres-helpers.ts';

let scratch: ScratchDatabase;
let database: Database;
beforeAll(async () => {
  scratch = await createScratchDatabase();
  database = await createDatabase({ kind: 'postgres', url: scratch.url, poolSize: 8 });
  await database.migrate();
});
afterAll(async () => {
  await database?.close();
  await scratch?.drop();
});

const harness = sqlHarness(() => database);
describeStoreContracts('postgres', harness);
describeSqlStoreContract('postgres', () => database, harness);

describe('Database [postgres]', () => {
  it('a recall does not wait for a memory another recall is marking: it skips that mark', async () => {
    const { memories } = database.stores;
    const orgId = `org_${uniqueId('recall')}`;
    await database.executor.execute(
      sql`INSERT INTO organizations (id, name, created_at) VALUES (${orgId}, 'recall', 0)`,
    );
    const written = [];
    for (const text of ['deploy the database', 'deploy the web', 'restart the queue'])
      written.push(
        await memories.write({
          id: uniqueId('mem'),
          orgId,
          agentId: 'agent_1',
          kind: 'fact',
          text,
          importance: 0.5,
          embedding: null,
          runId: null,
          metadata: {},
          createdAt: 1_000,
          lastAccessedAt: 1_000,
          accessCount: 0,
        }),
      );
    const held = written[0]?.id ?? '';
    const recallNow = () =>
      memories.recall({
        orgId,
        agentId: 'agent_1',
        text: 'deploy',
        embedding: null,
        limit: 5,
        now: 5_000,
        weights: { relevance: 1, recency: 0, importance: 0 },
        halfLifeMs: 3_600_000,
      });
    let release: () => void = () => undefined;
    let locked: () => void = () => undefined;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    // Another recall's mark in progress: the row locked in an open transaction on another connection.
    const holder = database.executor.transaction(async (tx) => {
      await tx.execute(sql`SELECT id FROM memories WHERE id = ${held} FOR UPDATE`);
      locked();
      await new Promise<void>((resolve) => (release = resolve));
    });
    await isLocked;
    try {
      // Waiting for the lock would hang here until the holder ends: the test would time out.
      const recalled = await recallNow();
      expect(recalled.map((item) => item.memory.id).sort()).toEqual(written.map((m) => m.id).sort());
    } finally {
      release();
      await holder;
    }
    const counts = await queryRows(
      database.executor,
      sql`SELECT id, access_count, last_accessed_at FROM memories WHERE org_id = ${orgId}`,
    );
    const byId = new Map(counts.map((row) => [String(row.id), row]));
    // The held memory's mark was skipped; the others were marked.
    expect(Number(byId.get(held)?.access_count)).toBe(0);
    for (const memory of written.slice(1)) {
      expect(Number(byId.get(memory.id)?.access_count)).toBe(1);
      expect(Number(byId.get(memory.id)?.last_accessed_at)).toBe(5_000);
    }
    // Nothing holds it now: the next recall marks it.
    await recallNow();
    const after = await queryRows(
      database.executor,
      sql`SELECT access_count FROM memories WHERE id = ${held}`,
    );
    expect(Number(after[0]?.access_count)).toBe(1);
  });

  it('skips the pgvector step where the extension is missing and falls back to full text', async () => {
    const state = await database.migrationState();
    const names = (await loadMigrations()).map((migration) => migration.name);
    expect(state.applied).toEqual(names.filter((name) => name !== '0001_pgvector'));
    expect(state.pending).toEqual([]);
    expect(state.skipped).toEqual(['0001_pgvector']);
    expect(database.stores.memories.vectorSearch).toBe(false);
  });

  it('commits a step, its tool calls and its next job in one statement and one commit', async () => {
    const { runs, toolCalls } = database.stores;
    const { run } = await runs.create(await newRun(harness));
    const lease = await runs.acquireLease(run.orgId, run.id, { owner: 'w', now: 1_500, ttlMs: 60_000 });
    if ('refused' in lease) throw new Error('lease refused');
    const key = `${run.id}:1:0`;
    await toolCalls.begin(lease, {
      key,
      runId: run.id,
      step: 1,
      callIndex: 0,
      tool: 'fs_read',
      args: {},
      argsHash: 'h',
      status: 'started',
      idempotent: true,
      createdAt: 1_600,
    });
    const jobId = uniqueId('job');
    const before = database.stats();
    await runs.commitStep(
      lease,
      stepCommit({
        events: [{ type: 'step-start', step: 1 }, stepEnd(1)],
        toolCalls: [{ key, status: 'succeeded', result: 'text', now: 1_900 }],
        enqueue: { jobId },
      }),
    );
    const after = database.stats();
    expect(after.statements - before.statements).toBe(1);
    expect(after.commits - before.commits).toBe(1);
    expect((await toolCalls.get(run.orgId, key))?.status).toBe('succeeded');
    expect((await harness.pendingJobs(run.id)).map((job) => job.jobId)).toEqual([jobId]);
  });
});
