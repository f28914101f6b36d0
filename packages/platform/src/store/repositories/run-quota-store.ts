/** The count behind the per-organization quota on active runs: the sum of `org_active_runs` slots. */
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
        sql`SELECT GREATEST(0, COALESCE(sum(n), 0)) AS active FROM org_active_runs WHERE org_id = ${orgId}`,
      );
      return toNumber(rows[0]?.active ?? 0);
    },
  };
}
