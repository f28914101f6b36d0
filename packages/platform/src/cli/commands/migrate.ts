import { resolve } from 'node:path';
import type { Command } from 'commander';
import { maskUrl } from '../../config/index.ts';
import { configFor } from '../app-context.ts';
import { processOutput } from '../output.ts';

/** `autonoma migrate`: applies pending migrations to PostgreSQL (`DATABASE_URL`) or the embedded store. */
export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (PostgreSQL from DATABASE_URL, else the embedded store)')
    .action(async (_flags: unknown, command: Command) => {
      const { config } = configFor(command);
      const { createDatabase } = await import('../../store/database.ts');
      const database = config.databaseUrl
        ? await createDatabase({ kind: 'postgres', url: config.databaseUrl })
        : await createDatabase({ kind: 'pglite', dir: resolve(config.home, 'data') });
      try {
        const { applied } = await database.migrate();
        const state = await database.migrationState();
        const where = config.databaseUrl ? maskUrl(config.databaseUrl) : resolve(config.home, 'data');
        processOutput.out(
          applied.length
            ? `applied ${applied.join(', ')} to ${where}`
            : `${where} is up to date (${state.applied.length} migrations)`,
        );
      } finally {
        await database.close();
      }
    });
}
