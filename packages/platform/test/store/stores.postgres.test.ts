import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, loadMigrations, type Database } from '../../src/store/index.ts';
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
