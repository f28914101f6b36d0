/** Users: sign-in is by email across organizations; everything else names the organization. */
import type { Role, User, UserCredentials, UserStore } from '@autonoma/core';
import { sql, type SQL } from '../sql.ts';
import { queryRows, type Executor } from '../driver.ts';
import { toNumber } from './values.ts';

const userFromRow = (row: Record<string, unknown>): User => ({
  id: String(row.id),
  orgId: String(row.org_id),
  email: String(row.email),
  // Written only from a parsed Role.
  role: String(row.role) as Role,
  disabled: row.disabled === true,
  createdAt: toNumber(row.created_at),
  updatedAt: toNumber(row.updated_at),
});

/** Creates the {@link UserStore} over an {@link Executor}. */
export function createUserStore(db: Executor): UserStore {
  const one = async (query: SQL): Promise<User | undefined> => {
    const row = (await queryRows(db, query))[0];
    return row === undefined ? undefined : userFromRow(row);
  };
  return {
    create: (user) =>
      one(
        sql`INSERT INTO users (id, org_id, email, password_hash, role, created_at, updated_at)
            VALUES (${user.id}, ${user.orgId}, ${user.email}, ${user.passwordHash}, ${user.role},
              ${user.now}::bigint, ${user.now}::bigint)
            ON CONFLICT (email) DO NOTHING
            RETURNING *`,
      ),

    get: (orgId, id) => one(sql`SELECT * FROM users WHERE org_id = ${orgId} AND id = ${id}`),

    async findByEmail(email) {
      const row = (await queryRows(db, sql`SELECT * FROM users WHERE email = ${email}`))[0];
      if (row === undefined) return undefined;
      const credentials: UserCredentials = { ...userFromRow(row), passwordHash: String(row.password_hash) };
      return credentials;
    },

    async list(orgId) {
      const rows = await queryRows(
        db,
        sql`SELECT * FROM users WHERE org_id = ${orgId} ORDER BY created_at, id`,
      );
      return rows.map(userFromRow);
    },

    update: (orgId, id, change) =>
      one(
        sql`UPDATE users SET
              role = COALESCE(${change.role ?? null}::text, role),
              disabled = COALESCE(${change.disabled ?? null}::boolean, disabled),
              password_hash = COALESCE(${change.passwordHash ?? null}::text, password_hash),
              updated_at = ${change.now}::bigint
            WHERE org_id = ${orgId} AND id = ${id}
            RETURNING *`,
      ),

    async delete(orgId, id) {
      const rows = await queryRows(
        db,
        sql`DELETE FROM users WHERE org_id = ${orgId} AND id = ${id} RETURNING id`,
      );
      return rows.length > 0;
    },

    async countOwners(orgId) {
      const rows = await queryRows(
        db,
        sql`SELECT count(*) AS owners FROM users WHERE org_id = ${orgId} AND role = 'owner' AND NOT disabled`,
      );
      return toNumber(rows[0]?.owners ?? 0);
    },
  };
}
