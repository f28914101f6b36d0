/** Organizations (tenants): every org-owned row references one. */
import type { Organization, OrganizationStore } from '@autonoma/core';
import { sql } from '../sql.ts';
import { queryRows, type Executor } from '../driver.ts';
import { toNumber } from './values.ts';

const organizationFromRow = (row: Record<string, unknown>): Organization => ({
  id: String(row.id),
  name: String(row.name),
  createdAt: toNumber(row.created_at),
});

/** Creates the {@link OrganizationStore} over an {@link Executor}. */
export function createOrganizationStore(db: Executor): OrganizationStore {
  return {
    async ensure(organization) {
      const rows = await queryRows(
        db,
        sql`WITH inserted AS (
              INSERT INTO organizations (id, name, created_at)
              VALUES (${organization.id}, ${organization.name}, ${organization.createdAt}::bigint)
              ON CONFLICT (id) DO NOTHING
              RETURNING *
            )
            SELECT * FROM inserted UNION ALL SELECT * FROM organizations WHERE id = ${organization.id}
            LIMIT 1`,
      );
      const row = rows[0];
      if (row === undefined) throw new Error('organization upsert returned no row');
      return organizationFromRow(row);
    },
    async get(id) {
      const row = (await queryRows(db, sql`SELECT * FROM organizations WHERE id = ${id}`))[0];
      return row === undefined ? undefined : organizationFromRow(row);
    },
  };
}
