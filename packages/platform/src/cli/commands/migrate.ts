import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

/** `autonoma migrate`: applies pending migrations to PostgreSQL (`DATABASE_URL`) or the embedded store. */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (PostgreSQL from DATABASE_URL, else the embedded store)')
    .action(lazyAction(() => import('./migrate-action.ts'), 'migrateDatabase'));
}
