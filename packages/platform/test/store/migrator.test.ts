import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDatabase,
  loadMigrations,
  parseMigration,
  queryRows,
  sql,
  type Database,
  type Migration,
} from '../../src/store/index.ts';
import { createScratchDatabase, type ScratchDatabase } from './postgres-helpers.ts';

const tableExists = async (database: Database, name: string): Promise<boolean> => {
  const rows = await queryRows(database.executor, sql`SELECT to_regclass(${name}) IS NOT NULL AS present`);
  return rows[0]?.present === true;
};

describe('migrator [postgres]', () => {
  let scratch: ScratchDatabase;
  const opened: Database[] = [];
  const open = async (migrations?: Migration[]): Promise<Database> => {
    const database = await createDatabase({
      kind: 'postgres',
      url: scratch.url,
      ...(migrations === undefined ? {} : { migrations }),
    });
    opened.push(database);
    return database;
  };
  beforeAll(async () => {
    scratch = await createScratchDatabase();
  });
  afterAll(async () => {
    await Promise.all(opened.map((database) => database.close()));
    await scratch?.drop();
  });

  it('does not migrate on open, reports pending, and applies each file once under concurrency', async () => {
    const [first, second, third] = [await open(), await open(), await open()];
    const expected = (await loadMigrations())
      .map((migration) => migration.name)
      .filter((name) => name !== '0001_pgvector');
    expect(await first.migrationState()).toEqual({
      applied: [],
      pending: expected,
      skipped: ['0001_pgvector'],
    });
    expect(await tableExists(first, 'runs')).toBe(false);
    const results = await Promise.all([first.migrate(), second.migrate(), third.migrate()]);
    expect(results.flatMap((result) => result.applied).sort()).toEqual(expected);
    expect(results.every((result) => result.skipped.join() === '0001_pgvector')).toBe(true);
    expect(await first.migrationState()).toEqual({
      applied: expected,
      pending: [],
      skipped: ['0001_pgvector'],
    });
    expect(await first.migrate()).toEqual({ applied: [], skipped: ['0001_pgvector'] });
    expect(await tableExists(first, 'runs')).toBe(true);
  });

  it('knows in one look whether anything is left to apply', async () => {
    const fresh = await createScratchDatabase();
    try {
      const base = [parseMigration('0100_a', 'CREATE TABLE uptodate_a (id int);')];
      const database = await createDatabase({ kind: 'postgres', url: fresh.url, migrations: base });
      opened.push(database);
      expect(await database.migrationUpToDate()).toBe(false);
      await database.migrate();
      expect(await database.migrationUpToDate()).toBe(true);
      const more = await createDatabase({
        kind: 'postgres',
        url: fresh.url,
        migrations: [...base, parseMigration('0101_b', 'CREATE TABLE uptodate_b (id int);')],
      });
      opened.push(more);
      expect(await more.migrationUpToDate()).toBe(false);
      const changed = await createDatabase({
        kind: 'postgres',
        url: fresh.url,
        migrations: [parseMigration('0100_a', 'CREATE TABLE uptodate_a (id bigint);')],
      });
      opened.push(changed);
      expect(await changed.migrationUpToDate()).toBe(false);
    } finally {
      await Promise.all(opened.splice(0).map((database) => database.close()));
      await fresh.drop();
    }
  });

  it('counts the runs already active when 0012 adds the per-organization count', async () => {
    const fresh = await createScratchDatabase();
    try {
      const all = await loadMigrations();
      const before = all.filter((migration) => migration.name < '0012');
      const old = await createDatabase({ kind: 'postgres', url: fresh.url, migrations: before });
      opened.push(old);
      await old.migrate();
      await old.executor.execute(
        sql`INSERT INTO organizations (id, name, created_at) VALUES ('org_a', 'a', 1), ('org_b', 'b', 1)`,
      );
      await old.executor.execute(
        sql`INSERT INTO runs (id, org_id, agent_id, goal, status, budgets, usage, workspace, created_at, updated_at)
            SELECT 'run_' || g.i, CASE WHEN g.i % 3 = 0 THEN 'org_b' ELSE 'org_a' END, 'agt', '{}'::jsonb,
              (ARRAY['queued', 'running', 'succeeded', 'waiting_input'])[1 + g.i % 4], '{}'::jsonb, '{}'::jsonb,
              '/w', 1, 1
            FROM generate_series(1, 24) AS g(i)`,
      );
      const current = await createDatabase({ kind: 'postgres', url: fresh.url, migrations: all });
      opened.push(current);
      await current.migrate();
      const counts = await queryRows(
        current.executor,
        sql`SELECT o.id, (SELECT COALESCE(sum(n), 0) FROM org_active_runs c WHERE c.org_id = o.id) AS counted,
              (SELECT count(*) FROM runs r WHERE r.org_id = o.id AND r.status IN ('queued', 'running')) AS actual
            FROM organizations o WHERE o.id IN ('org_a', 'org_b') ORDER BY o.id`,
      );
      expect(counts.map((row) => [row.id, Number(row.counted), Number(row.actual)])).toEqual([
        ['org_a', 8, 8],
        ['org_b', 4, 4],
      ]);
    } finally {
      await Promise.all(opened.splice(0).map((database) => database.close()));
      await fresh.drop();
    }
  });

  it('rolls a failing migration back completely and keeps the ones before it', async () => {
    const migrations = [
      parseMigration('0100_good', 'CREATE TABLE migrator_good (id int);'),
      parseMigration(
        '0101_bad',
        'CREATE TABLE migrator_half (id int);\n--> statement-breakpoint\nINSERT INTO migrator_missing VALUES (1);',
      ),
    ];
    const database = await open(migrations);
    const error: unknown = await database.migrate().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'migration_failed' });
    expect(String((error as Error).message)).toMatch(
      /0101_bad failed and was rolled back: .*migrator_missing/,
    );
    expect(await tableExists(database, 'migrator_good')).toBe(true);
    expect(await tableExists(database, 'migrator_half')).toBe(false);
    const state = await database.migrationState();
    expect(state.applied).toContain('0100_good');
    expect(state.pending).toEqual(['0101_bad']);
  });

  it('refuses a migration changed after it was applied', async () => {
    const database = await open([parseMigration('0100_good', 'CREATE TABLE migrator_good (id bigint);')]);
    await expect(database.migrate()).rejects.toMatchObject({ code: 'migration_checksum_mismatch' });
  });

  it('parses the extension requirement and statement breakpoints', () => {
    const migration = parseMigration(
      '0001_x',
      '-- autonoma:requires-extension vector\nCREATE EXTENSION vector;\n--> statement-breakpoint\n-- only a comment\n',
    );
    expect(migration.requiresExtension).toBe('vector');
    expect(migration.statements).toEqual(['-- autonoma:requires-extension vector\nCREATE EXTENSION vector;']);
    expect(migration.checksum).toMatch(/^[0-9a-f]{64}$/);
  });
});
