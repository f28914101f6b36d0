import { resolve } from 'node:path';
import type { Command } from 'commander';
import { maskUrl } from '../../config/index.ts';
import { configFor } from '../app-context.ts';
import { processOutput } from '../output.ts';

/** `autonoma migrate`: applies pending migrations to PostgreSQL (`DATABASE_URL`) or the embedded store. */
export async function migrateDatabase(_flags: unknown, command: Command): Promise<void> {
  const { config } = configFor(command);
  const { createDatabase } = await import('../../store/database.ts');
  if (!config.databaseUrl) {
    // An embedded store about to change is backed up first (migrations run as it opens, just below).
    const { backupBeforeMigrate } = await import('../../backup/embedded-backup.ts');
    const saved = await backupBeforeMigrate(resolve(config.home));
    if (saved)
      processOutput.out(
        `backed up the store before migrating it to ${saved} (to go back: autonoma restore --force ${saved})`,
      );
  }
  const database = config.databaseUrl
    ? await createDatabase({ kind: 'postgres', url: config.databaseUrl })
    : await (await import('../../store/open-embedded.ts')).openEmbeddedDatabase(resolve(config.home));
  try {
    // An embedded store migrates as it opens; both lists together are what this command applied.
    const applied = [...database.migratedOnOpen, ...(await database.migrate()).applied];
    const state = await database.migrationState();
    // The embedded organization's default agent is created here (and at an embedded first start),
    // never as a side effect of reading it.
    const { ensureDefaultAgent } = await import('../../services/agent-service.ts');
    const { defaultOrgId, randomIds, systemClock } = await import('@autonoma/core');
    await ensureDefaultAgent(
      { agents: database.stores.agents, clock: systemClock, ids: randomIds },
      defaultOrgId,
    );
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
