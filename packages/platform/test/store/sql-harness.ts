/** The contract harness over an opened SQL {@link Database} (PGlite or PostgreSQL). */
import { queryRows, sql, type Database } from '../../src/store/index.ts';
import type { OutboxJob, StoreHarness } from './fixtures.ts';

/** The harness of `database()`, read inside each test (the database opens in `beforeAll`). */
export function sqlHarness(database: () => Database): StoreHarness {
  return {
    stores: () => database().stores,
    async ensureOrg(orgId) {
      await database().executor.execute(
        sql`INSERT INTO organizations (id, name, created_at) VALUES (${orgId}, ${orgId}, 0) ON CONFLICT DO NOTHING`,
      );
    },
    async pendingJobs(runId): Promise<OutboxJob[]> {
      const rows = await queryRows(
        database().executor,
        sql`SELECT id, run_id, org_id, run_at FROM jobs
            WHERE run_id = ${runId} AND kind = 'agent-run' AND status = 'pending'
            ORDER BY created_at, id`,
      );
      return rows.map((row) => ({
        jobId: String(row.id),
        runId: String(row.run_id),
        orgId: String(row.org_id),
        runAt: Number(row.run_at),
      }));
    },
    async tamperAudit(id, action) {
      await database().executor.execute(sql`UPDATE audit_log SET action = ${action} WHERE id = ${id}`);
    },
  };
}
