/**
 * Backup and restore of the embedded store (PGlite under `$AUTONOMA_HOME/data`).
 *
 * **Consistency.** A backup is an image of the whole data directory that PGlite itself writes
 * (`dumpDataDir`) while it holds its query lock, after a checkpoint: no statement runs while the image
 * is taken, so it is what a power cut would leave at that instant, minus torn pages — crash-consistent,
 * and recovered by PostgreSQL's WAL replay to exactly the transactions committed before it. The image
 * must therefore be taken by the process that has the store open:
 *
 * - no process holds the store: this process takes the data directory's lock (so nothing can open it
 *   meanwhile), opens PGlite without migrating, takes the image and closes;
 * - a process holds it (`autonoma serve`, or a `run`): the lock says so, and that process is asked
 *   through its control socket (owner-only, see api/control-endpoint.ts) to take the image itself —
 *   between two of its own statements, with its runs going on.
 *
 * **Restore** refuses a store in use (it takes the lock for the whole restore), refuses a file that is
 * not a backup or was altered (backup-file.ts), unpacks the image into a staging directory beside the
 * store, opens it to check it is an Autonoma store of a schema this version knows, and only then
 * swaps it in; a replaced store is kept beside it.
 */
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { AutonomaError, conflict, userError } from '@autonoma/core';
import { readControlRecord } from '../api/control-socket.ts';
import type { Executor } from '../store/driver.ts';
import { queryRows } from '../store/driver.ts';
import { loadMigrations } from '../store/migrator.ts';
import { dataDirectoryOf } from '../store/open-embedded.ts';
import { sql } from '../store/sql.ts';
import { version } from '../version.ts';
import type { Backup, BackupHeader } from './backup-file.ts';
import { decodeBackup, encodeBackup } from './backup-file.ts';

/** Where the control endpoint answers backup requests (outside `/v1`: only on the owner-only socket). */
export const backupRequestPath = '/control/backup';

/** Tables whose rows a backup counts (and a restore reports). */
export const countedTables = ['agents', 'runs', 'run_events', 'tool_calls', 'memories', 'audit_log'] as const;

/** The PGlite files of a home: `<home>/data/pglite`. */
export const storeDirectoryOf = (home: string): string => join(dataDirectoryOf(home), 'pglite');

/** True when the home has an embedded store (PostgreSQL's `PG_VERSION` marks an initialized one). */
export const hasEmbeddedStore = (home: string): boolean =>
  existsSync(join(storeDirectoryOf(home), 'PG_VERSION'));

/** The schema version and row counts of an open store. */
export async function describeStore(
  db: Executor,
): Promise<{ migrations: string[]; counts: Record<string, number> }> {
  const present = await queryRows(db, sql`SELECT to_regclass('autonoma_migrations') IS NOT NULL AS present`);
  const migrations =
    present[0]?.['present'] === true
      ? (await queryRows(db, sql`SELECT name FROM autonoma_migrations ORDER BY name`)).map((row) =>
          String(row['name']),
        )
      : [];
  const counts: Record<string, number> = {};
  for (const table of countedTables) {
    const exists = await queryRows(db, sql`SELECT to_regclass(${table}) IS NOT NULL AS present`);
    if (exists[0]?.['present'] !== true) continue;
    const rows = await queryRows(db, sql`SELECT count(*)::int AS count FROM ${sql.raw(`"${table}"`)}`);
    counts[table] = Number(rows[0]?.['count'] ?? 0);
  }
  return { migrations, counts };
}

/** An open store that can image itself (a `Database` or an opened PGlite driver). */
export interface DumpableStore {
  executor: Executor;
  dump?(): Promise<Uint8Array>;
}

/** Takes a backup of a store this process has open. Throws `backup_unsupported` for PostgreSQL. */
export async function backupOpenStore(
  store: DumpableStore,
  now: () => Date = () => new Date(),
): Promise<{ bytes: Uint8Array; header: BackupHeader }> {
  if (!store.dump)
    throw conflict(
      'backup_unsupported',
      'this store is PostgreSQL: back it up with pg_dump (deploy/backup/backup.sh, docs/operations.md)',
    );
  const about = await describeStore(store.executor);
  const image = await store.dump();
  return encodeBackup(image, { createdAt: now().toISOString(), autonomaVersion: version, ...about });
}

/** A backup taken, and who took the image. */
export interface TakenBackup {
  bytes: Uint8Array;
  header: BackupHeader;
  /** The pid of the running process that took it, when one held the store. */
  takenBy?: number;
}

/** Options of {@link backupEmbeddedStore}. */
export interface BackupOptions {
  /**
   * How long to wait for a store held by a process that offers no control socket (a short command, or
   * one still starting). @default 5000
   */
  lockedWaitMs?: number;
}

const isLocked = (error: unknown): error is AutonomaError =>
  error instanceof AutonomaError && error.code === 'database_locked';

/** Takes a backup of the embedded store of `home`, whether or not a process is using it (see above). */
export async function backupEmbeddedStore(home: string, options: BackupOptions = {}): Promise<TakenBackup> {
  if (!hasEmbeddedStore(home))
    throw userError('no_store', `there is no embedded store in ${dataDirectoryOf(home)}: nothing to back up`);
  const deadline = Date.now() + (options.lockedWaitMs ?? 5000);
  const { openPglite } = await import('../store/pglite/open-pglite.ts');
  for (;;) {
    try {
      const driver = await openPglite({ dir: dataDirectoryOf(home) });
      try {
        return await backupOpenStore(driver);
      } finally {
        await driver.close();
      }
    } catch (error) {
      if (!isLocked(error)) throw error;
      const fromHolder = await requestBackupFromHolder(home);
      if (fromHolder) return fromHolder;
      if (Date.now() > deadline)
        throw conflict(
          'database_locked',
          `${error.message.replace(/;.*$/, '')}, which offers no control socket to take a backup through; retry once it has ended or started up`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** POSTs to a Unix socket; resolves with the status and body. */
function postToSocket(socketPath: string, path: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ socketPath, path, method: 'POST' }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/**
 * Asks the process that holds the store (its control record names its socket) to take the backup.
 * `undefined` when no process answers there (none recorded, or a stale record).
 */
export async function requestBackupFromHolder(home: string): Promise<TakenBackup | undefined> {
  const record = await readControlRecord(home);
  if (!record) return undefined;
  let answer: { status: number; body: Buffer };
  try {
    answer = await postToSocket(record.socket, backupRequestPath);
  } catch {
    return undefined;
  }
  if (answer.status !== 200) {
    let code = 'backup_failed';
    let message = `the process ${record.pid} holding the store could not take the backup (HTTP ${answer.status})`;
    try {
      const parsed = JSON.parse(answer.body.toString('utf8')) as {
        error?: { code?: string; message?: string };
      };
      code = parsed.error?.code ?? code;
      message = `the process ${record.pid} holding the store could not take the backup: ${parsed.error?.message ?? message}`;
    } catch {
      // Not JSON: keep the status line.
    }
    throw new AutonomaError(code, message, { category: 'dependency' });
  }
  const { header } = decodeBackup(answer.body, `the backup sent by process ${record.pid}`);
  return { bytes: new Uint8Array(answer.body), header, takenBy: record.pid };
}

/** What a restore did. */
export interface RestoreReport {
  /** The data directory restored. */
  dataDirectory: string;
  /** Rows of the main tables in the restored store. */
  counts: Record<string, number>;
  migrations: string[];
  /** Where the store it replaced was kept (with `force`). */
  replacedKeptAt?: string;
}

/** Options of {@link restoreEmbeddedStore}. */
export interface RestoreOptions {
  /** Replace an existing store (kept beside the new one). @default false */
  force?: boolean;
  now?: () => Date;
}

const stamp = (date: Date): string => date.toISOString().replace(/[:.]/g, '-');

/**
 * Restores `backup` as the embedded store of `home`. Refuses a store in use (`database_locked`), an
 * existing store without `force` (`store_exists`), and a backup of a schema newer than this version
 * knows (`backup_too_new`).
 */
export async function restoreEmbeddedStore(
  home: string,
  backup: Backup,
  options: RestoreOptions = {},
): Promise<RestoreReport> {
  const known = new Set((await loadMigrations()).map((migration) => migration.name));
  const unknown = backup.header.migrations.filter((name) => !known.has(name));
  if (unknown.length > 0)
    throw userError(
      'backup_too_new',
      `the backup was taken by Autonoma ${backup.header.autonomaVersion}, whose schema (${unknown.join(', ')}) this version does not know: restore it with that version or a newer one`,
    );
  const dataDirectory = dataDirectoryOf(home);
  const { dataDirectoryProblem } = await import('../store/pglite/data-directory.ts');
  const problem = await dataDirectoryProblem(dataDirectory);
  if (problem) throw userError('invalid_config', `cannot restore into ${dataDirectory}: ${problem}`);
  const { acquireDirectoryLock } = await import('../store/pglite/lock-file.ts');
  let lock;
  try {
    lock = await acquireDirectoryLock(dataDirectory);
  } catch (error) {
    if (!isLocked(error)) throw error;
    throw conflict(
      'database_locked',
      `refusing to restore: ${error.message.replace(/; stop that process.*$/, '')}; stop it first`,
    );
  }
  const target = storeDirectoryOf(home);
  const staging = join(dataDirectory, `pglite.restoring-${process.pid}`);
  const now = (options.now ?? (() => new Date()))();
  try {
    const replacing = existsSync(target);
    const keptAt = join(dataDirectory, `pglite.replaced-${stamp(now)}`);
    if (replacing && hasEmbeddedStore(home) && !options.force)
      throw conflict(
        'store_exists',
        `${dataDirectory} already holds a store; pass --force to replace it (it will be kept as ${keptAt})`,
      );
    await rm(staging, { recursive: true, force: true });
    const described = await unpackImage(backup.image, staging);
    if (replacing) await rename(target, keptAt);
    await rename(staging, target);
    return {
      dataDirectory,
      counts: described.counts,
      migrations: described.migrations,
      ...(replacing ? { replacedKeptAt: keptAt } : {}),
    };
  } finally {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    await lock.release();
  }
}

/**
 * Unpacks an image into `directory` by opening PGlite on it (which also replays its WAL), and checks
 * that it holds an Autonoma store.
 */
async function unpackImage(
  image: Uint8Array,
  directory: string,
): Promise<{ migrations: string[]; counts: Record<string, number> }> {
  const [{ PGlite }, { vector }, { pgliteExecutor }, { createCounters }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite-pgvector'),
    import('../store/pglite/pglite-executor.ts'),
    import('../store/driver.ts'),
  ]);
  let pglite;
  try {
    pglite = await PGlite.create({
      dataDir: directory,
      loadDataDir: new Blob([new Uint8Array(image)]),
      extensions: { vector },
      startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB', '-c', 'max_connections=10'],
    });
  } catch (error) {
    throw userError(
      'not_a_backup',
      `the backup's image could not be opened as a store: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  try {
    const described = await describeStore(pgliteExecutor(pglite, createCounters()));
    if (described.migrations.length === 0)
      throw userError('not_a_backup', 'the backup holds a database, but not an Autonoma store');
    return described;
  } finally {
    await pglite.close();
  }
}

/**
 * Before `autonoma migrate` changes an embedded store that has pending migrations: a backup next to
 * the data directory, `<home>/data.before-migrate-<time>.backup`. Returns its path, or `undefined` when
 * there is nothing to protect (no store yet, a store with no schema, or nothing pending). The store
 * must not be in use (the caller is about to migrate it).
 */
export async function backupBeforeMigrate(
  home: string,
  now: () => Date = () => new Date(),
): Promise<string | undefined> {
  if (!hasEmbeddedStore(home)) return undefined;
  const [{ openPglite }, { createMigrator }, { writeBackupFile }] = await Promise.all([
    import('../store/pglite/open-pglite.ts'),
    import('../store/migrator.ts'),
    import('./write-backup.ts'),
  ]);
  const driver = await openPglite({ dir: dataDirectoryOf(home) });
  try {
    const state = await createMigrator(driver.executor).state();
    if (state.applied.length === 0 || state.pending.length === 0) return undefined;
    const taken = await backupOpenStore(driver, now);
    const file = join(home, `data.before-migrate-${stamp(now())}.backup`);
    await writeBackupFile(file, taken.bytes, { overwrite: false });
    return file;
  } finally {
    await driver.close();
  }
}
