import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, loadMigrations, sql, type Database } from '../../src/store/index.ts';
import { describeStoreContracts } from './contracts.ts';
import { newRun, stepCommit, stepEnd } from './fixtures.ts';

let database: Database;
beforeAll(async () => {
  database = await createDatabase({ kind: 'pglite' });
});
afterAll(async () => {
  await database?.close();
});

describeStoreContracts(
  'pglite',
  () => database.stores,
  async (id, action) => {
    await database.executor.execute(sql`UPDATE audit_log SET action = ${action} WHERE id = ${id}`);
  },
);

describe('Database [pglite]', () => {
  it('migrates on open, with the pgvector step, and searches vectors in the database', async () => {
    const names = (await loadMigrations()).map((migration) => migration.name);
    expect(names.slice(0, 2)).toEqual(['0000_init', '0001_pgvector']);
    expect(await database.migrationState()).toEqual({ applied: names, pending: [], skipped: [] });
    expect(database.stores.memories.vectorSearch).toBe(true);
    expect(await database.migrate()).toEqual({ applied: [], skipped: [] });
    await database.ping();
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
    expect(after.bytesWritten).toBeGreaterThan(before.bytesWritten);
  });
});
