import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresUrl } from '../support/postgres.ts';
import { waitFor } from '../support/wait-for.ts';
import { requireCommand, runCommand } from './host-tools.ts';
import { deployDirectory } from './repository.ts';

/**
 * deploy/backup: backup.sh (scheduled pg_dump, custom format, retention) and restore.sh (pg_restore),
 * for real against the PostgreSQL the integration suites use: dump a scratch database, drop it, restore
 * it, and the rows are back; a restore over a changed database puts it back as dumped.
 */

const backupScript = resolve(deployDirectory, 'backup/backup.sh');
const restoreScript = resolve(deployDirectory, 'backup/restore.sh');

let database: { url: string; drop: () => Promise<void> };
let name = '';
let directory = '';
let environment: NodeJS.ProcessEnv = {};

async function query<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function databaseExists(): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

async function dropDatabase(): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

function bash(script: string, args: readonly string[], extra: NodeJS.ProcessEnv = {}) {
  return runCommand('bash', [script, ...args], {
    env: { ...environment, ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const dumps = (): string[] =>
  readdirSync(directory)
    .filter((file) => file.endsWith('.dump'))
    .sort();

beforeAll(async () => {
  for (const [command, debianPackage] of [
    ['pg_dump', 'postgresql-client'],
    ['pg_restore', 'postgresql-client'],
    ['psql', 'postgresql-client'],
  ] as const) {
    requireCommand(command, debianPackage);
  }
  database = await createTestDatabase('deploy_backup');
  name = new URL(database.url).pathname.slice(1);
  directory = mkdtempSync(join(tmpdir(), 'autonoma-backups-'));
  const server = new URL(postgresUrl);
  environment = {
    PATH: process.env['PATH'],
    PGHOST: server.hostname,
    PGPORT: server.port || '5432',
    PGUSER: decodeURIComponent(server.username) || 'postgres',
    ...(server.password ? { PGPASSWORD: decodeURIComponent(server.password) } : {}),
    PGDATABASE: name,
    BACKUP_DIR: directory,
  };
  await query(`
    CREATE TABLE runs (id bigserial PRIMARY KEY, goal text NOT NULL, events jsonb NOT NULL DEFAULT '[]');
    CREATE INDEX runs_goal ON runs (goal);
    INSERT INTO runs (goal, events) VALUES ('first goal', '[{"seq":1}]'), ('second goal', '[]'), ('third', '[]');
  `);
});

afterAll(async () => {
  await database?.drop();
  if (directory !== '') rmSync(directory, { recursive: true, force: true });
});

describe('deploy/backup', () => {
  it('has scripts bash can parse', () => {
    for (const script of [backupScript, restoreScript]) {
      const result = runCommand('bash', ['-n', script]);
      expect(result.status, result.stderr).toBe(0);
    }
  });

  it('dumps the database in custom format, then restores it after the database was dropped', async () => {
    const backup = bash(backupScript, ['--once']);
    expect(backup.status, backup.stderr).toBe(0);
    const [dump, ...others] = dumps();
    expect(others).toEqual([]);
    expect(dump).toMatch(new RegExp(`^${name}-\\d{8}T\\d{6}Z\\.dump$`));
    const listing = runCommand('pg_restore', ['--list', join(directory, dump ?? '')]);
    expect(listing.stdout).toMatch(/Format: CUSTOM/);
    expect(listing.stdout).toContain('TABLE public runs');

    await dropDatabase();
    expect(await databaseExists()).toBe(false);
    const restore = bash(restoreScript, ['--yes', join(directory, dump ?? '')]);
    expect(restore.status, restore.stderr).toBe(0);
    expect(await databaseExists()).toBe(true);
    const rows = await query<{ id: string; goal: string; events: unknown }>(
      'SELECT id, goal, events FROM runs ORDER BY id',
    );
    expect(rows).toEqual([
      { id: '1', goal: 'first goal', events: [{ seq: 1 }] },
      { id: '2', goal: 'second goal', events: [] },
      { id: '3', goal: 'third', events: [] },
    ]);
    // Sequences and indexes come back too: new rows continue the numbering.
    const [inserted] = await query<{ id: string }>("INSERT INTO runs (goal) VALUES ('fourth') RETURNING id");
    expect(inserted?.id).toBe('4');
    const indexes = await query<{ indexname: string }>(
      "SELECT indexname FROM pg_indexes WHERE tablename = 'runs'",
    );
    expect(indexes.map((index) => index.indexname)).toContain('runs_goal');
  });

  it('restores over an existing database: --recreate puts it back exactly, plain mode only replaces dumped objects', async () => {
    const [dump] = dumps();
    const change = async (): Promise<void> => {
      await query(
        "DELETE FROM runs WHERE goal = 'first goal'; INSERT INTO runs (goal) VALUES ('after the dump')",
      );
      await query('CREATE TABLE added_later (id int)');
    };
    const goals = async (): Promise<string[]> =>
      (await query<{ goal: string }>('SELECT goal FROM runs ORDER BY id')).map((row) => row.goal);
    const addedLater = async (): Promise<number> =>
      (await query("SELECT 1 FROM pg_tables WHERE tablename = 'added_later'")).length;

    await change();
    const plain = bash(restoreScript, ['--yes', join(directory, dump ?? '')]);
    expect(plain.status, plain.stderr).toBe(0);
    expect(await goals()).toEqual(['first goal', 'second goal', 'third']);
    expect(await addedLater()).toBe(1);

    await query("INSERT INTO runs (goal) VALUES ('after the dump')");
    const exact = bash(restoreScript, ['--yes', '--recreate', join(directory, dump ?? '')]);
    expect(exact.status, exact.stderr).toBe(0);
    expect(await goals()).toEqual(['first goal', 'second goal', 'third']);
    expect(await addedLater()).toBe(0);
  });

  it('refuses to overwrite without --yes when there is no terminal, and refuses a file that is not a dump', async () => {
    const [dump] = dumps();
    await query("INSERT INTO runs (goal) VALUES ('kept')");
    const unconfirmed = bash(restoreScript, [join(directory, dump ?? '')]);
    expect(unconfirmed.status).not.toBe(0);
    expect(unconfirmed.stderr).toMatch(/without --yes/);
    const garbage = join(directory, 'garbage.bin');
    writeFileSync(garbage, 'not a dump');
    const refused = bash(restoreScript, ['--yes', garbage]);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/not a readable pg_dump/);
    rmSync(garbage);
    expect((await query<{ goal: string }>('SELECT goal FROM runs')).map((row) => row.goal)).toContain('kept');
  });

  it('removes dumps older than BACKUP_KEEP_DAYS but always keeps the newest BACKUP_KEEP_MIN', () => {
    const old = (days: number, stamp: string): string => {
      const file = join(directory, `${name}-${stamp}.dump`);
      writeFileSync(file, '');
      const when = new Date(Date.now() - days * 86_400_000);
      utimesSync(file, when, when);
      return file;
    };
    old(10, '20000101T000000Z');
    old(9, '20000102T000000Z');
    old(2, '20000103T000000Z');
    const kept = bash(backupScript, ['--once'], { BACKUP_KEEP_DAYS: '7', BACKUP_KEEP_MIN: '10' });
    expect(kept.status, kept.stderr).toBe(0);
    expect(dumps().filter((file) => file.includes('-2000'))).toHaveLength(3);

    const swept = bash(backupScript, ['--once'], { BACKUP_KEEP_DAYS: '7', BACKUP_KEEP_MIN: '1' });
    expect(swept.status, swept.stderr).toBe(0);
    // The 10- and 9-day-old dumps go; the 2-day-old one and every fresh dump stay.
    expect(dumps().filter((file) => file.includes('-2000'))).toEqual([`${name}-20000103T000000Z.dump`]);
    expect(dumps().filter((file) => !file.includes('-2000')).length).toBeGreaterThanOrEqual(1);
  });

  it('fails loudly when the database cannot be dumped, leaving no partial file', () => {
    const result = bash(backupScript, ['--once'], { PGDATABASE: 'no_such_database_for_backup' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/pg_dump of no_such_database_for_backup failed/);
    expect(readdirSync(directory).filter((file) => file.includes('no_such_database'))).toEqual([]);
    const invalid = bash(backupScript, ['--once'], { BACKUP_KEEP_DAYS: 'seven' });
    expect(invalid.status).not.toBe(0);
    expect(invalid.stderr).toMatch(/BACKUP_KEEP_DAYS must be a whole number/);
  });

  it('dumps on a schedule until it is stopped', async () => {
    const scheduled = mkdtempSync(join(tmpdir(), 'autonoma-scheduled-'));
    const child = spawn('bash', [backupScript], {
      env: { ...environment, BACKUP_DIR: scheduled, BACKUP_INTERVAL_SECONDS: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    try {
      await waitFor(() => readdirSync(scheduled).filter((file) => file.endsWith('.dump')).length >= 2, {
        what: 'two scheduled dumps',
        timeoutMs: 20_000,
      });
    } finally {
      const exited = new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));
      child.kill('SIGTERM');
      expect(await exited, log).toBe(0);
      rmSync(scheduled, { recursive: true, force: true });
    }
    expect(log).toMatch(/stopping/);
  });
});
