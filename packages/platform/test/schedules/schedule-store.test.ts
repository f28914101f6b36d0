/** The ScheduleStore contract against the in-memory fake, PGlite and PostgreSQL. */
import { InMemoryScheduleStore } from '@autonoma/core/testing';
import { afterAll, beforeAll, beforeEach, describe } from 'vitest';
import { createDatabase, sql, type Database } from '../../src/store/index.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { describeScheduleStoreContract, type ScheduleStoreHarness } from './schedule-store.contract.ts';

const sqlHarness = (database: () => Database): ScheduleStoreHarness => ({
  store: () => database().stores.schedules,
  async ensureOrg(orgId) {
    await database().executor.execute(
      sql`INSERT INTO organizations (id, name, created_at) VALUES (${orgId}, ${orgId}, 0) ON CONFLICT DO NOTHING`,
    );
  },
});

describe('in memory', () => {
  let store = new InMemoryScheduleStore();
  beforeEach(() => {
    store = new InMemoryScheduleStore();
  });
  describeScheduleStoreContract('in-memory', { store: () => store, ensureOrg: async () => undefined });
});

describe('PGlite', () => {
  let database: Database;
  beforeAll(async () => {
    database = await createDatabase({ kind: 'pglite' });
  });
  afterAll(async () => {
    await database?.close();
  });
  describeScheduleStoreContract(
    'pglite',
    sqlHarness(() => database),
  );
});

describe('PostgreSQL', () => {
  let database: Database;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const scratch = await createTestDatabase('autonoma_schedules');
    drop = scratch.drop;
    database = await createDatabase({ kind: 'postgres', url: scratch.url });
    await database.migrate();
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });
  describeScheduleStoreContract(
    'postgres',
    sqlHarness(() => database),
  );
});
