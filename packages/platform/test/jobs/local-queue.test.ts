import { randomIds, systemClock } from '@autonoma/core';
import { createLocalQueue } from '../../src/jobs/local-queue.ts';
import { createWakeup } from '../../src/jobs/wakeup.ts';
import { createDatabase, type Database } from '../../src/store/index.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { describeJobQueueContract, type QueueSettings } from './job-queue.contract.ts';

const openLocal = (database: Database, settings: QueueSettings) => ({
  queue: createLocalQueue({
    db: database.executor,
    clock: systemClock,
    ids: randomIds,
    wakeup: createWakeup(),
    pollMs: 100,
    ...settings,
  }),
  db: database.executor,
  dispatched: async () => undefined,
});

let postgres: { url: string; drop: () => Promise<void> } | undefined;
describeJobQueueContract({
  name: 'local, PostgreSQL',
  async setup() {
    postgres = await createTestDatabase('autonoma_jobs_local');
    const database = await createDatabase({ kind: 'postgres', url: postgres.url });
    await database.migrate();
    await database.close();
  },
  async teardown() {
    await postgres?.drop();
  },
  async open(settings) {
    if (!postgres) throw new Error('no database');
    const database = await createDatabase({ kind: 'postgres', url: postgres.url, poolSize: 8 });
    const harness = openLocal(database, settings);
    return {
      ...harness,
      close: async () => {
        await harness.queue.close();
        await database.close();
      },
    };
  },
  childEnvironment: () => ({
    QUEUE_ADAPTER: 'local',
    DATABASE_URL: postgres?.url ?? '',
    QUEUE_LOCK_MS: '1000',
  }),
});

describeJobQueueContract({
  name: 'local, PGlite',
  async open(settings) {
    const database = await createDatabase({ kind: 'pglite' });
    const harness = openLocal(database, settings);
    return {
      ...harness,
      close: async () => {
        await harness.queue.close();
        await database.close();
      },
    };
  },
});
