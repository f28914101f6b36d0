import { createInMemoryStores, type InMemoryStores } from '@autonoma/core/testing';
import { beforeEach } from 'vitest';
import { describeStoreContracts } from './contracts.ts';

let stores: InMemoryStores = createInMemoryStores();
beforeEach(() => {
  stores = createInMemoryStores();
});

describeStoreContracts('in-memory', {
  stores: () => stores,
  // The fakes have no organizations table: any id is an organization.
  ensureOrg: async () => undefined,
  pendingJobs: async (runId) =>
    stores.runs
      .outbox()
      .filter((job) => job.runId === runId)
      .map(({ jobId, runId: jobRunId, orgId, runAt }) => ({
        jobId,
        runId: jobRunId,
        orgId,
        ...(runAt === undefined ? {} : { runAt }),
      })),
  tamperAudit: async (id, action) => stores.audit.tamper(id, { action }),
});
