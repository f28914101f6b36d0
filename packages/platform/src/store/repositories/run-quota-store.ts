/** The count behind the per-organization quota on active runs (a partial index holds exactly them). */
import type { RunQuotaStore } from '@autonoma/core';
import { sql } from '../sql.ts';
import { queryRows, type Executor } from '../driver.ts';
import { toNumber } from './values.ts';

/** Creates the {@link RunQuotaStore} over an {@link Executor}. */
export function createRunQuotaStore(db: Executor): RunQuotaStore {
  return {
    async activeRuns(orgId) {
      const rows = await queryRows(
        db,
        sql`SELECT count(*) AS active FROM runs WHERE org_id = ${orgId} AND status IN ('queued', 'running')`,
      );
      return toNumber(rows[0]?.active ?? 0);
    },
  };
}
