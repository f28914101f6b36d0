/**
 * The documented PostgreSQL backup and restore (docs/operations.md, "Backups and restore") on
 * Autonoma's real schema: a migrated database with an agent, runs and their events, memories and an
 * audit chain is dumped by deploy/backup/backup.sh (what the Compose backup service runs), the database
 * is dropped, deploy/backup/restore.sh --recreate brings it back — and every table reads the same, the
 * audit chain verifies, and a run created after the restore works and extends the chain.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AgentSpec } from '@autonoma/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { createApp } from '../../src/app.ts';
import type { Config } from '../../src/config/index.ts';
import { createDatabase, queryRows, sql } from '../../src/store/index.ts';
import { requireCommand, runCommand } from '../deploy/host-tools.ts';
import { deployDirectory } from '../deploy/repository.ts';
import type { Fixture } from '../fixtures/openai-server.ts';
import { fixtureConfig, startToolModel } from '../observability/observability-harness.ts';
import { createTestDatabase, postgresUrl } from '../support/postgres.ts';

/** The tables whose rows must come back exactly. */
const tables = ['agents', 'runs', 'run_events', 'memories', 'audit_log', 'tool_calls', 'jobs'] as const;

async function snapshot(app: App): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const table of tables) {
    const rows = await queryRows(
      app.database.executor,
      sql.raw(`SELECT t::text AS row FROM "${table}" t ORDER BY t::text`),
    );
    result[table] = rows.map((row) => String(row['row']));
  }
  return result;
}

describe('PostgreSQL backup and restore with deploy/backup [postgres]', () => {
  let fixture: Fixture;
  let database: { url: string; drop: () => Promise<void> };
  let config: Config;
  let directory = '';
  let before: Record<string, string[]> = {};
  let after: Record<string, string[]> = {};
  let verified: { intact: boolean; brokenAt: number | null } | undefined;
  let app: App | undefined;

  const script = (name: string, args: string[]) =>
    runCommand('bash', [resolve(deployDirectory, 'backup', name), ...args], {
      env: { PATH: process.env['PATH'], DATABASE_URL: database.url, BACKUP_DIR: directory },
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  beforeAll(async () => {
    for (const command of ['pg_dump', 'pg_restore', 'psql']) requireCommand(command, 'postgresql-client');
    fixture = await startToolModel([
      { name: 'memory_store', input: { text: 'the backup host is called vault' } },
      { name: 'memory_store', input: { text: 'restores are tested every week' } },
    ]);
    database = await createTestDatabase('autonoma_pg_restore');
    const migrator = await createDatabase({ kind: 'postgres', url: database.url });
    await migrator.migrate();
    await migrator.close();
    directory = mkdtempSync(join(tmpdir(), 'autonoma-pg-restore-'));
    config = fixtureConfig(fixture, { DATABASE_URL: database.url });

    const live = await createApp(config);
    try {
      const scope = live.localScope;
      await live.services.agents.ensureDefault(scope);
      await live.services.agents.put(scope, AgentSpec.parse({ name: 'archivist' }));
      for (const goal of ['remember the backup host', 'remember the restore drill']) {
        const run = await live.services.runs.start(scope, { goal });
        expect((await live.services.runs.advanceTree(scope, run.id)).run.status).toBe('succeeded');
      }
      const cancelled = await live.services.runs.start(scope, { goal: 'never mind', enqueue: true });
      await live.services.runs.cancel(scope, cancelled.id);
      before = await snapshot(live);
    } finally {
      await live.close();
    }

    const dumped = script('backup.sh', ['--once']);
    expect(dumped.status, dumped.stderr).toBe(0);
    const dumps = readdirSync(directory).filter((file) => file.endsWith('.dump'));
    expect(dumps).toHaveLength(1);
    // The disaster: the database is gone.
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE ${new URL(database.url).pathname.slice(1)} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
    const restored = script('restore.sh', ['--yes', '--recreate', join(directory, dumps[0] ?? '')]);
    expect(restored.status, restored.stderr).toBe(0);

    app = await createApp(config);
    after = await snapshot(app);
    verified = await app.services.audit.verify(app.localScope);
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
    await fixture?.close();
    if (directory !== '') rmSync(directory, { recursive: true, force: true });
  });

  it('brings back agents, runs, events, memories, tool calls, jobs and the audit log exactly', () => {
    for (const table of tables) expect(after[table], table).toEqual(before[table]);
    expect(before['runs']).toHaveLength(3);
    expect(before['memories']?.length).toBeGreaterThanOrEqual(4);
    expect(before['run_events']?.length).toBeGreaterThan(10);
    expect(before['audit_log']?.length).toBeGreaterThanOrEqual(3);
    expect(before['agents']?.some((row) => row.includes('archivist'))).toBe(true);
  });

  it('keeps an audit chain that verifies, and that new work extends', async () => {
    expect(verified).toEqual({ intact: true, brokenAt: null });
    if (!app) throw new Error('the restored app did not open');
    const scope = app.localScope;
    const run = await app.services.runs.start(scope, { goal: 'after the restore' });
    expect((await app.services.runs.advanceTree(scope, run.id)).run.status).toBe('succeeded');
    await app.services.runs.cancel(scope, (await app.services.runs.start(scope, { goal: 'x' })).id);
    expect(await app.services.audit.verify(scope)).toEqual({ intact: true, brokenAt: null });
  });
});
