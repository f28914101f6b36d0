import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, loadMigrations, sql, type Database } from '../../src/store/index.ts';
import { describeStoreContracts } from './contracts.ts';
import { newRun, stepCommit, stepEnd } from './fixtures.ts';
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

describeStoreContracts(
  'postgres',
  () => database.stores,
  async (id, action) => {
    await database.executor.execute(sql`UPDATE audit_log SET action = ${action} WHERE id = ${id}`);
  },
);

describe('Database [postgres]', () => {
  it('skips the pgvector step where the extension is missing and falls back to full text', async () => {
    const state = await database.migrationState();
    const names = (await loadMigrations()).map((migration) => migration.name);
    expect(state.applied).toEqual(names.filter((name) => name !== '0001_pgvector'));
    expect(state.pending).toEqual([]);
    expect(state.skipped).toEqual(['0001_pgvector']);
    expect(database.stores.memories.vectorSearch).toBe(false);
  });

  it('commits a step in one statement and one commit', async () => {
    const { runs } = database.stores;
    const { run } = await runs.create(newRun());
    const lease = await runs.acquireLease(run.id, { owner: 'w', now: 1_500, ttlMs: 60_000 });
    if ('refused' in lease) throw new Error('lease refused');
    const before = database.stats();
    await runs.commitStep(lease, stepCommit({ events: [{ type: 'step-start', step: 1 }, stepEnd(1)] }));
    const after = database.stats();
    expect(after.statements - before.statements).toBe(1);
    expect(after.commits - before.commits).toBe(1);
  });
});
