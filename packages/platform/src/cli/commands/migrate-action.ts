import { resolve } from 'node:path';
import type { Command } from 'commander';
import { maskUrl } from '../../config/index.ts';
import { configFor } from '../app-context.ts';
import { processOutput } from '../output.ts';

/** `autonoma migrate`: applies pending migrations to PostgreSQL (`DATABASE_URL`) or the embedded store. */
export async function migrateDatabase(_flags: unknown, command: Command): Promise<void> {
  const { config } = configFor(command);
  const { createDatabase } = await import('../../store/database.ts');
  const database = config.databaseUrl
    ? await createDatabase({ kind: 'postgres', url: config.databaseUrl })
    : await (await import('../../store/open-embedded.ts')).openEmbeddedDatabase(resolve(config.home));
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
}
