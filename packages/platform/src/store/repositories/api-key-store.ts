/** API keys: only the key's sha256 is stored, with a short visible prefix. */
import type { ApiKey, ApiKeyStore, Role } from '@autonoma/core';
import { sql, type SQL } from '../sql.ts';
import { batchLoader } from '../batch-loader.ts';
import { queryRows, type Executor } from '../driver.ts';
import { jsonText, toNumber, toNumberOrNull, toStringOrNull } from './values.ts';

const apiKeyFromRow = (row: Record<string, unknown>): ApiKey => ({
  id: String(row.id),
  orgId: String(row.org_id),
  name: String(row.name),
  prefix: String(row.prefix),
  // Written only from a parsed Role.
  role: String(row.role) as Role,
  createdBy: toStringOrNull(row.user_id),
  createdAt: toNumber(row.created_at),
  lastUsedAt: toNumberOrNull(row.last_used_at),
  expiresAt: toNumberOrNull(row.expires_at),
  revokedAt: toNumberOrNull(row.revoked_at),
});

/** Creates the {@link ApiKeyStore} over an {@link Executor}. */
export function createApiKeyStore(db: Executor): ApiKeyStore {
  const one = async (query: SQL): Promise<ApiKey | undefined> => {
    const row = (await queryRows(db, query))[0];
    return row === undefined ? undefined : apiKeyFromRow(row);
  };
  // Checked on every request: concurrent checks share one statement (read, never cached).
  const findByHash = batchLoader<string, ApiKey>(
    async (hashes) => {
      const rows = await queryRows(
        db,
        sql`SELECT * FROM api_keys
            WHERE key_hash IN (SELECT jsonb_array_elements_text(${jsonText(hashes)}::jsonb))`,
      );
      return new Map(rows.map((row) => [String(row.key_hash), apiKeyFromRow(row)]));
    },
    { keyOf: (hash) => hash },
  );
  return {
    async create(key) {
      const created = await one(
        sql`INSERT INTO api_keys (id, org_id, user_id, name, prefix, key_hash, role, expires_at, created_at)
            VALUES (${key.id}, ${key.orgId}, ${key.createdBy}, ${key.name}, ${key.prefix}, ${key.keyHash},
              ${key.role}, ${key.expiresAt}::bigint, ${key.now}::bigint)
            RETURNING *`,
      );
      if (created === undefined) throw new Error('API key insert returned no row');
      return created;
    },

    findByHash,

    async list(orgId) {
      const rows = await queryRows(
        db,
        sql`SELECT * FROM api_keys WHERE org_id = ${orgId} ORDER BY created_at, id`,
      );
      return rows.map(apiKeyFromRow);
    },

    revoke: (orgId, id, now) =>
      one(
        sql`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ${now}::bigint)
            WHERE org_id = ${orgId} AND id = ${id} RETURNING *`,
      ),

    async touch(id, now, minIntervalMs) {
      // Written at most once per interval: a key used on every request costs no write per request.
      await db.execute(
        sql`UPDATE api_keys SET last_used_at = ${now}::bigint
            WHERE id = ${id} AND (last_used_at IS NULL OR last_used_at <= ${now - minIntervalMs}::bigint)`,
      );
    },
  };
}
