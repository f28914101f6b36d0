import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { userError } from '@autonoma/core';
import type { Config } from '../../config/index.ts';
import { configFor } from '../app-context.ts';
import { processOutput } from '../output.ts';

interface BackupFlags {
  force?: boolean;
  json?: boolean;
}

const megabytes = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;

const shownCounts = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .map(([table, count]) => `${count} ${table}`)
    .join(', ');

/** The embedded store only: a server's or PostgreSQL's store is backed up with pg_dump. */
function embeddedHome(config: Config, command: 'backup' | 'restore'): string {
  const script = `deploy/backup/${command}.sh`;
  if (config.server)
    throw userError(
      'backup_unsupported',
      `autonoma ${command} works on this machine's embedded store, not through --server/AUTONOMA_SERVER; a server's PostgreSQL is handled by ${script}`,
    );
  if (config.databaseUrl)
    throw userError(
      'backup_unsupported',
      `the store is PostgreSQL (DATABASE_URL): use ${script} (pg_dump/pg_restore), see docs/operations.md`,
    );
  return resolve(config.home);
}

/** `autonoma backup <file>`: a consistent backup of the embedded store, also while a process uses it. */
export async function backupStore(file: string, flags: BackupFlags, command: Command): Promise<void> {
  const home = embeddedHome(configFor(command).config, 'backup');
  const target = resolve(file);
  const { backupEmbeddedStore } = await import('../../backup/embedded-backup.ts');
  const { writeBackupFile } = await import('../../backup/write-backup.ts');
  const taken = await backupEmbeddedStore(home);
  await writeBackupFile(target, taken.bytes, { overwrite: flags.force === true });
  if (flags.json) {
    processOutput.out(
      JSON.stringify({ file: target, ...taken.header, ...(taken.takenBy ? { takenBy: taken.takenBy } : {}) }),
    );
    return;
  }
  const by = taken.takenBy ? ` (taken by the running process ${taken.takenBy})` : '';
  processOutput.out(
    `backed up ${resolve(home, 'data')} to ${target}${by}: ${megabytes(taken.bytes.byteLength)}, ${shownCounts(taken.header.counts)}`,
  );
}

/** `autonoma restore <file>`: replaces the embedded store by a backup; refuses a store in use. */
export async function restoreStore(file: string, flags: BackupFlags, command: Command): Promise<void> {
  const home = embeddedHome(configFor(command).config, 'restore');
  const source = resolve(file);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(source);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw userError('not_a_backup', `cannot read ${source} (${code})`);
  }
  const { decodeBackup } = await import('../../backup/backup-file.ts');
  const { restoreEmbeddedStore } = await import('../../backup/embedded-backup.ts');
  const backup = decodeBackup(bytes, source);
  const report = await restoreEmbeddedStore(home, backup, { force: flags.force === true });
  if (flags.json) {
    processOutput.out(JSON.stringify({ file: source, takenAt: backup.header.createdAt, ...report }));
    return;
  }
  processOutput.out(
    `restored ${report.dataDirectory} from ${source} (taken ${backup.header.createdAt}): ${shownCounts(report.counts)}`,
  );
  if (report.replacedKeptAt) processOutput.out(`the store it replaced is kept in ${report.replacedKeptAt}`);
}
