/** Agents, unique by name within an organization. */
import type { Agent, AgentStore } from '@autonoma/core';
import { AgentSpec, AutonomaError } from '@autonoma/core';
import { sql } from '../sql.ts';
import { batchLoader } from '../batch-loader.ts';
import { queryRows, type Executor } from '../driver.ts';
import { toNumber, jsonText } from './values.ts';

/**
 * An agent from its row. The stored spec is parsed again, so settings added since it was written get
 * their defaults (e.g. `approval.minRisk`).
 */
const agentFromRow = (row: Record<string, unknown>): Agent => ({
  ...parseStoredSpec(row),
  id: String(row.id),
  orgId: String(row.org_id),
  createdAt: toNumber(row.created_at),
  updatedAt: toNumber(row.updated_at),
});

function parseStoredSpec(row: Record<string, unknown>): AgentSpec {
  const parsed = AgentSpec.safeParse(row.spec);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new AutonomaError(
    'invalid_agent',
    `stored agent '${String(row.name)}' no longer parses: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}; update it with 'autonoma agents create --file'`,
  );
}

/** The identity of an agent lookup (an organization and an id or a name). */
const lookupKey = (orgId: string, ref: string): string => JSON.stringify([orgId, ref]);

/** Creates the {@link AgentStore} over an {@link Executor}. */
export function createAgentStore(db: Executor): AgentStore {
  // Resolved on every run created: concurrent lookups share one statement (read, never cached). An id
  // wins over a name when a reference is both.
  const get = batchLoader<{ orgId: string; ref: string }, Agent>(
    async (lookups) => {
      const rows = await queryRows(
        db,
        sql`SELECT DISTINCT ON (k.org_id, k.ref) k.ref AS lookup_ref, a.*
            FROM jsonb_to_recordset(${jsonText(lookups.map(({ orgId, ref }) => ({ org_id: orgId, ref })))}::jsonb)
              AS k(org_id text, ref text)
            JOIN agents a ON a.org_id = k.org_id AND (a.id = k.ref OR a.name = k.ref)
            ORDER BY k.org_id, k.ref, (a.id = k.ref) DESC`,
      );
      return new Map(
        rows.map((row) => [lookupKey(String(row.org_id), String(row.lookup_ref)), agentFromRow(row)]),
      );
    },
    { keyOf: ({ orgId, ref }) => lookupKey(orgId, ref) },
  );
  return {
    async upsert(orgId, spec, ids) {
      // Same name in the same org updates the spec and keeps the original id.
      const rows = await queryRows(
        db,
        sql`INSERT INTO agents (id, org_id, name, spec, created_at, updated_at)
            VALUES (${ids.id}, ${orgId}, ${spec.name}, ${jsonText(spec)}::jsonb, ${ids.now}::bigint, ${ids.now}::bigint)
            ON CONFLICT (org_id, name) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at
            RETURNING *`,
      );
      const row = rows[0];
      if (row === undefined) throw new Error('agent upsert returned no row');
      return agentFromRow(row);
    },
    get: (orgId, idOrName) => get({ orgId, ref: idOrName }),
    async list(orgId) {
      const rows = await queryRows(db, sql`SELECT * FROM agents WHERE org_id = ${orgId} ORDER BY name`);
      return rows.map(agentFromRow);
    },
    async delete(orgId, idOrName) {
      const rows = await queryRows(
        db,
        sql`DELETE FROM agents WHERE org_id = ${orgId} AND (id = ${idOrName} OR name = ${idOrName}) RETURNING id`,
      );
      return rows.length > 0;
    },
  };
}
