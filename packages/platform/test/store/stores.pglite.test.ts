import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, loadMigrations, type Database } from '../../src/store/index.ts';
import { describeStoreContracts } from './contracts.ts';
import { newRun, stepCommit, stepEnd, uniqueId } from './fixtures.ts';
import { sqlHarness } from './sql-harness.ts';
import { describeSqlStoreContract } from './sql-store.contract.ts';

let database: Database;
beforeAll(async () => {
  database = await createDatabase({ kind: 'pglite' });
});
afterAll(async () => {
  await database?.close();
});

const harness = sqlHarness(() => database);
describeStoreContracts('pglite', harness);
describeSqlStoreContract('pglite', () => database, harness);

describe('Database [pglite]', () => {
  it('migrates on open, with the pgvector step, and searches vectors in the database', async () => {
    const names = (await loadMigrations()).map((migration) => migration.name);
    expect(names.slice(0, 2)).toEqual(['0000_init', '0001_pgvector']);
    expect(await database.migrationState()).toEqual({ applied: names, pending: [], skipped: [] });
    expect(database.stores.memories.vectorSearch).toBe(true);
    expect(await database.migrate()).toEqual({ applied: [], skipped: [] });
    await database.ping();
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
    expect(after.bytesWritten).toBeGreaterThan(before.bytesWritten);
  });
});
