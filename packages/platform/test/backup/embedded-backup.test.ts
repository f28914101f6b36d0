/**
 * `autonoma backup` / `autonoma restore` of the embedded store, for real: a store with runs, events,
 * memories, agents and an audit chain is backed up while `autonoma serve` holds it and advances a run,
 * restored into a fresh home, and compared — every run the backup holds has the events it had, nothing
 * half-written, memories and agents alike, and the audit chain verifies. Restore refuses a store in use
 * and a file that is not a backup; `autonoma migrate` backs up a store before migrating it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Scope } from '@autonoma/core';
import { AgentSpec, defaultOrgId } from '@autonoma/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBackup } from '../../src/backup/backup-file.ts';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { AuditService } from '../../src/services/audit-service.ts';
import type { Database } from '../../src/store/database.ts';
import { createDatabase } from '../../src/store/database.ts';
import { queryRows } from '../../src/store/driver.ts';
import { loadMigrations } from '../../src/store/migrator.ts';
import { sql } from '../../src/store/sql.ts';
import type { Fixture, FixtureReply, RecordedRequest } from '../fixtures/openai-server.ts';
import { startOpenAiFixture } from '../fixtures/openai-server.ts';
import type { CliResult } from '../support/cli.ts';
import { cliEnvironment, runCli, startCli } from '../support/cli.ts';
import { waitFor } from '../support/wait-for.ts';

const scope: Scope = { orgId: defaultOrgId, actor: 'test' };

const toolResults = (request: RecordedRequest): number =>
  ((request.body as { messages?: { role?: string }[] }).messages ?? []).filter(
    (message) => message.role === 'tool',
  ).length;

const goalOf = (request: RecordedRequest): string =>
  JSON.stringify((request.body as { messages?: unknown[] }).messages?.slice(0, 2) ?? []);

/**
 * The model: a goal saying `steps N` stores N memories, one per step, then answers; `forbidden` first
 * calls a tool outside the agent's allowlist (refused and audited); a `held` run's third decision waits
 * for `gate` (so a backup is taken while it is in flight, whatever the machine's speed).
 */
function startArchivistModel(gate: Promise<void>): Promise<Fixture> {
  return startOpenAiFixture(async (request): Promise<FixtureReply> => {
    const goal = goalOf(request);
    const done = toolResults(request);
    const steps = Number(/steps (\d+)/.exec(goal)?.[1] ?? 1);
    if (goal.includes('held') && done === 2) await gate;
    if (goal.includes('forbidden') && done === 0)
      return { kind: 'tool-calls', calls: [{ name: 'fs_write', input: { path: 'x', content: 'y' } }] };
    if (done < steps)
      return {
        kind: 'tool-calls',
        calls: [{ name: 'memory_store', input: { text: `fact ${done + 1} of ${goal.length}` } }],
      };
    return { kind: 'text', text: 'archived' };
  });
}

/** Every row of a table, as text, in a stable order. */
async function rowsOf(database: Database, table: string, order: string): Promise<string[]> {
  const rows = await queryRows(
    database.executor,
    sql.raw(`SELECT t::text AS row FROM "${table}" t ORDER BY ${order}`),
  );
  return rows.map((row) => String(row['row']));
}

describe('embedded backup and restore [pglite]', () => {
  let model: Fixture;
  let env: (home: string, extra?: Record<string, string>) => Record<string, string>;
  let homeA: string;
  let homeB: string;
  let root: string;
  let backupFile: string;
  let backedUp: CliResult;
  let refusedWhileServing: CliResult;
  let heldRunId: string;
  let servePid: number | undefined;

  // Five runs, a server and two CLI commands: minutes on a loaded machine.
  beforeAll(async () => {
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    model = await startArchivistModel(gate);
    root = mkdtempSync(join(tmpdir(), 'autonoma-backup-'));
    homeA = join(root, 'a');
    homeB = join(root, 'b');
    backupFile = join(root, 'store.backup');
    env = (home, extra = {}) =>
      cliEnvironment({
        AUTONOMA_HOME: home,
        AUTONOMA_MODEL: 'openai-compatible:fixture',
        AUTONOMA_MODEL_BASE_URL: `${model.url}/v1`,
        ...extra,
      });

    // A store with history: an agent, runs (succeeded, refused a tool, cancelled), memories, audit.
    const { config } = loadConfig({ env: env(homeA), cwd: root });
    const app = await createApp(config, { cwd: root });
    try {
      await app.services.agents.put(scope, AgentSpec.parse({ name: 'archivist', tools: ['memory_store'] }));
      for (const goal of ['archive steps 2', 'archive steps 3', 'forbidden then steps 1']) {
        const run = await app.services.runs.start(scope, { goal, agent: 'archivist' });
        expect((await app.services.runs.advanceTree(scope, run.id)).run.status).toBe('succeeded');
      }
      const cancelled = await app.services.runs.start(scope, { goal: 'never mind', agent: 'archivist' });
      await app.services.runs.cancel(scope, cancelled.id);
    } finally {
      await app.close();
    }

    // The server holds the store and advances a run (held at its third step) while the backup is taken.
    const serve = startCli(['serve', '--port', '0'], env(homeA), root);
    servePid = serve.child.pid;
    let serveErr = '';
    serve.child.stderr?.on('data', (chunk: Buffer) => (serveErr += chunk.toString()));
    await waitFor(() => serveErr.includes('serving the API'), { what: 'autonoma serve to listen' });
    const control = JSON.parse(readFileSync(join(homeA, 'control.json'), 'utf8')) as {
      url: string;
      token: string;
    };
    const api = (path: string, init: RequestInit = {}): Promise<Response> =>
      fetch(`${control.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${control.token}`, 'content-type': 'application/json' },
      });
    const created = await api('/v1/runs', {
      method: 'POST',
      body: JSON.stringify({ goal: 'held archive steps 4', agent: 'archivist' }),
    });
    expect(created.status).toBe(201);
    heldRunId = ((await created.json()) as { id: string }).id;
    const stepsOf = async (): Promise<number> =>
      ((await (await api(`/v1/runs/${heldRunId}`)).json()) as { stepCount: number }).stepCount;
    await waitFor(async () => (await stepsOf()) >= 2, {
      what: 'the held run to make progress',
      timeoutMs: 180_000,
    });

    backedUp = await runCli(['backup', backupFile], env(homeA), root);
    refusedWhileServing = await runCli(['restore', '--force', backupFile], env(homeA), root);
    release();
    await waitFor(
      async () =>
        ((await (await api(`/v1/runs/${heldRunId}`)).json()) as { status: string }).status === 'succeeded',
      { what: 'the held run to end', timeoutMs: 180_000 },
    );
    serve.child.kill('SIGTERM');
    const stopped = await serve.done;
    expect(stopped.code, serveErr).toBe(0);
    servePid = undefined;
  }, 300_000);

  afterAll(async () => {
    if (servePid !== undefined) process.kill(servePid, 'SIGKILL');
    await model?.close();
  });

  it('backs up the store through the server that holds it, while it works', () => {
    expect(backedUp.code, backedUp.stderr).toBe(0);
    expect(backedUp.stdout).toMatch(
      /^backed up .+ to .+store\.backup \(taken by the running process \d+\): /,
    );
    const { header } = decodeBackup(readFileSync(backupFile), backupFile);
    expect(header.counts['runs']).toBe(5);
    expect(header.counts['agents']).toBeGreaterThanOrEqual(2);
  });

  it('refuses to restore over the store the server is using', () => {
    expect(refusedWhileServing.code).toBe(2);
    expect(refusedWhileServing.stderr).toMatch(
      /^autonoma: refusing to restore: the data directory .+ is in use by process \d+/,
    );
    expect(refusedWhileServing.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('restores runs, events, memories, agents and an audit chain that verifies', async () => {
    const restored = await runCli(['restore', backupFile], env(homeB), root);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/^restored .+\/b\/data from .+store\.backup \(taken /);
    const before = await createDatabase({ kind: 'pglite', dir: join(homeA, 'data') });
    const after = await createDatabase({ kind: 'pglite', dir: join(homeB, 'data') });
    try {
      expect(await new AuditService(after.stores.audit).verify(scope)).toEqual({
        intact: true,
        brokenAt: null,
      });
      // The audit chain is a prefix of the live one: nothing lost before the backup, nothing invented.
      const auditAfter = await rowsOf(after, 'audit_log', 'id');
      const auditBefore = await rowsOf(before, 'audit_log', 'id');
      expect(auditAfter.length).toBeGreaterThanOrEqual(3);
      expect(auditBefore.slice(0, auditAfter.length)).toEqual(auditAfter);
      const actions = (await after.stores.audit.list({ orgId: defaultOrgId })).map((entry) => entry.action);
      expect(actions).toEqual(expect.arrayContaining(['agent.put', 'tool.refused', 'run.cancel']));

      expect(await rowsOf(after, 'agents', 'id')).toEqual(await rowsOf(before, 'agents', 'id'));
      const runs = await after.stores.runs.list({ orgId: defaultOrgId, limit: 100 });
      expect(runs).toHaveLength(5);
      for (const run of runs) {
        const events = await after.stores.runs.events(defaultOrgId, run.id);
        // Consistent: the run row and its log agree, with no gap.
        expect(
          events.map((event) => event.seq),
          run.id,
        ).toEqual(Array.from({ length: run.lastSeq }, (_, i) => i + 1));
        const live = await before.stores.runs.events(defaultOrgId, run.id);
        expect(live.slice(0, events.length), run.id).toEqual(events);
        if (run.id !== heldRunId) {
          expect(events, run.id).toEqual(live);
          expect(run.status).toBe((await before.stores.runs.get(defaultOrgId, run.id))?.status);
        }
      }
      const held = runs.find((run) => run.id === heldRunId);
      expect(held?.stepCount).toBeGreaterThanOrEqual(1);
      expect(held?.status).not.toBe('succeeded');
      const memoriesAfter = await rowsOf(after, 'memories', 'id');
      const memoriesBefore = new Set(await rowsOf(before, 'memories', 'id'));
      expect(memoriesAfter.length).toBeGreaterThanOrEqual(6);
      for (const memory of memoriesAfter) expect(memoriesBefore.has(memory)).toBe(true);
    } finally {
      await before.close();
      await after.close();
    }
    // The held run, caught between two commits, goes on from there in the restored store.
    const { config } = loadConfig({ env: env(homeB), cwd: root });
    const app = await createApp(config, { cwd: root });
    try {
      expect((await app.services.runs.resume(scope, heldRunId)).run.status).toBe('succeeded');
    } finally {
      await app.close();
    }
  });

  it('refuses an existing store without --force, and keeps the replaced one with it', async () => {
    const refused = await runCli(['restore', backupFile], env(homeB), homeB);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^autonoma: .+\/data already holds a store; pass --force to replace it/);
    const forced = await runCli(['restore', '--force', backupFile], env(homeB), homeB);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/the store it replaced is kept in .+\/data\/pglite\.replaced-/);
    // Two CLI processes, each opening PGlite: over a minute on a loaded 2-core machine.
  }, 180_000);

  it('refuses files that are not backups, truncated or altered, with one line', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'autonoma-not-backup-'));
    const bytes = readFileSync(backupFile);
    const cases: [string, Uint8Array, RegExp][] = [
      ['notes.txt', Buffer.from('hello\n'), /does not start with 'AUTONOMA-EMBEDDED-BACKUP 1'/],
      ['truncated.backup', bytes.subarray(0, bytes.length - 1000), /is truncated or padded/],
      ['altered.backup', Buffer.from(bytes).fill(7, bytes.length - 10), /does not match its checksum/],
    ];
    for (const [name, content, why] of cases) {
      const file = join(directory, name);
      writeFileSync(file, content);
      const result = await runCli(['restore', file], env(join(directory, `home-${name}`)), directory);
      expect(result.code, name).toBe(2);
      expect(result.stderr, name).toMatch(
        new RegExp(`^autonoma: .+${name} is not an Autonoma embedded backup: `),
      );
      expect(result.stderr, name).toMatch(why);
      expect(result.stderr.trim().split('\n'), name).toHaveLength(1);
    }
    const missing = await runCli(
      ['backup', join(directory, 'x.backup')],
      env(join(directory, 'empty')),
      directory,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^autonoma: there is no embedded store in .+: nothing to back up\n$/);
    const postgres = await runCli(
      ['backup', join(directory, 'y.backup')],
      env(join(directory, 'pg'), { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' }),
      directory,
    );
    expect(postgres.code).toBe(2);
    expect(postgres.stderr).toMatch(
      /^autonoma: the store is PostgreSQL \(DATABASE_URL\): use deploy\/backup\/backup\.sh \(pg_dump\/pg_restore\)/,
    );
  }, 180_000);
});

describe('autonoma migrate backs up an embedded store before changing it [pglite]', () => {
  it('writes a backup of the old schema next to the data directory and says where', async () => {
    const home = mkdtempSync(join(tmpdir(), 'autonoma-migrate-backup-'));
    const all = await loadMigrations();
    const old = all.slice(0, -2);
    const database = await createDatabase({ kind: 'pglite', dir: join(home, 'data'), migrations: old });
    await database.close();
    const env = cliEnvironment({ AUTONOMA_HOME: home });
    const migrated = await runCli(['migrate'], env, home);
    expect(migrated.code, migrated.stderr).toBe(0);
    const match =
      /^backed up the store before migrating it to (\S+) \(to go back: autonoma restore --force \S+\)$/m.exec(
        migrated.stdout,
      );
    expect(match, migrated.stdout).not.toBeNull();
    const file = String(match?.[1]);
    expect(file.startsWith(`${home}/data.before-migrate-`)).toBe(true);
    expect(migrated.stdout).toContain(
      `applied ${all
        .slice(-2)
        .map((migration) => migration.name)
        .join(', ')}`,
    );
    const { header } = decodeBackup(readFileSync(file), file);
    expect(header.migrations).toEqual(old.map((migration) => migration.name));
    // Nothing pending any more: no second backup.
    const again = await runCli(['migrate'], env, home);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('backed up');
  }, 360_000);
});
