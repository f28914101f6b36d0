import { resolve } from 'node:path';
import type { Command } from 'commander';
import { Redis } from 'ioredis';
import type { ConfigKey } from '../../config/index.ts';
import { ConfigSchema, environmentNames, maskUrl, maskValue } from '../../config/index.ts';
import { configFor } from '../app-context.ts';
import { errorLine, processOutput } from '../output.ts';

/** Pings Redis with a short timeout; resolves to an error line or undefined when it answers. */
async function checkRedis(url: string): Promise<string | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const answer = await client.ping();
    return answer === 'PONG' ? undefined : `unexpected answer ${answer}`;
  } catch (error) {
    return errorLine(error);
  } finally {
    client.disconnect();
  }
}

/** `autonoma doctor`: configuration with sources (secrets masked), store, migrations, Redis. */
export async function diagnose(_flags: unknown, command: Command): Promise<void> {
  const out = processOutput.out;
  const loaded = configFor(command);
  const { config, sources } = loaded;
  let broken = 0;
  out(`configuration${loaded.file ? ` (file ${loaded.file})` : ''}:`);
  for (const key of Object.keys(ConfigSchema.shape) as ConfigKey[]) {
    const envName = environmentNames[key];
    out(
      `  ${key.padEnd(16)} ${maskValue(key, config[key]).padEnd(40)} ${sources[key]}${envName ? ` (${envName})` : ''}`,
    );
  }
  const target = config.databaseUrl
    ? `PostgreSQL ${maskUrl(config.databaseUrl)}`
    : `embedded PGlite in ${resolve(config.home, 'data')}`;
  try {
    const { createDatabase } = await import('../../store/database.ts');
    const database = config.databaseUrl
      ? await createDatabase({ kind: 'postgres', url: config.databaseUrl })
      : await (await import('../../store/open-embedded.ts')).openEmbeddedDatabase(resolve(config.home));
    try {
      await database.ping();
      const state = await database.migrationState();
      out(`store: ok · ${target}`);
      out(
        `  migrations: ${state.applied.length} applied${state.pending.length ? `, ${state.pending.length} pending (${state.pending.join(', ')}) — run 'autonoma migrate'` : ', none pending'}`,
      );
      out(
        `  vector search: ${database.stores.memories.vectorSearch ? 'pgvector' : 'full-text fallback (pgvector not available)'}`,
      );
      if (state.pending.some((name) => !name.includes('pgvector'))) broken += 1;
    } finally {
      await database.close();
    }
  } catch (error) {
    broken += 1;
    out(`store: BROKEN · ${target}: ${errorLine(error)}`);
  }
  if (config.redisUrl) {
    const problem = await checkRedis(config.redisUrl);
    if (problem) broken += 1;
    out(
      `redis: ${problem ? `BROKEN · ${maskUrl(config.redisUrl)}: ${problem}` : `ok · ${maskUrl(config.redisUrl)}`}`,
    );
  } else {
    out('redis: not configured (embedded queue)');
  }
  out(`model: ${config.model ?? 'none — the offline planner brain is used'}`);
  if (broken > 0) {
    processOutput.err(`autonoma: doctor found ${broken} problem${broken > 1 ? 's' : ''}`);
    process.exitCode = 1;
  } else {
    out('healthy');
  }
}
