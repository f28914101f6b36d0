import { afterAll, beforeAll } from 'vitest';
import type { OpenedDriver } from '../../src/store/driver.ts';
import { openPglite } from '../../src/store/pglite/open-pglite.ts';
import { openPostgres } from '../../src/store/postgres/open-postgres.ts';
import { describeExecutorContract } from './executor.contract.ts';
import { createScratchDatabase, type ScratchDatabase } from './postgres-helpers.ts';

let pglite: OpenedDriver;
let postgres: OpenedDriver;
let scratch: ScratchDatabase;
beforeAll(async () => {
  scratch = await createScratchDatabase();
  [pglite, postgres] = await Promise.all([openPglite({}), openPostgres({ url: scratch.url, poolSize: 4 })]);
});
afterAll(async () => {
  await pglite?.close();
  await postgres?.close();
  await scratch?.drop();
});

describeExecutorContract('pglite', () => pglite);
describeExecutorContract('postgres', () => postgres);
