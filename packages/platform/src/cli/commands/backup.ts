import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

const actions = () => import('./backup-action.ts');

/** `autonoma backup <file>` and `autonoma restore <file>`: the embedded store (PostgreSQL: deploy/backup). */
export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description('back up the embedded store to a file, also while a server uses it (PostgreSQL: pg_dump)')
    .argument('<file>', 'the backup file to write')
    .option('--force', 'overwrite the file if it exists')
    .option('--json', 'print what was backed up as JSON')
    .action(lazyAction(actions, 'backupStore'));
  program
    .command('restore')
    .description('restore the embedded store from a backup file (no process may be using the store)')
    .argument('<file>', 'a file written by autonoma backup')
    .option('--force', 'replace an existing store (it is kept beside the restored one)')
    .option('--json', 'print what was restored as JSON')
    .action(lazyAction(actions, 'restoreStore'));
}
