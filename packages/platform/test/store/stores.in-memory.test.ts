import { createInMemoryStores, type InMemoryStores } from '@autonoma/core/testing';
import { beforeEach } from 'vitest';
import { describeStoreContracts } from './contracts.ts';

let stores: InMemoryStores = createInMemoryStores();
beforeEach(() => {
  stores = createInMemoryStores();
});

describeStoreContracts(
  'in-memory',
  () => stores,
  async (id, action) => stores.audit.tamper(id, { action }),
);
