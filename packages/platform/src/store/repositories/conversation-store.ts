/** Conversations and their turns (ARCHITECTURE §3). */
import type { Conversation, ConversationStore, ConversationTurn } from '@autonoma/core';
import { sql, type SQL } from '../sql.ts';
import { queryRows, type Executor } from '../driver.ts';
import { toNumber } from './values.ts';

const conversationFromRow = (row: Record<string, unknown>): Conversation => ({
  id: String(row.id),
  orgId: String(row.org_id),
  agentId: String(row.agent_id),
  title: String(row.title),
  turns: toNumber(row.turns),
  started: toNumber(row.started),
  createdAt: toNumber(row.created_at),
  updatedAt: toNumber(row.updated_at),
});

const turnFromRow = (row: Record<string, unknown>): ConversationTurn => ({
  conversationId: String(row.conversation_id),
  seq: toNumber(row.seq),
  message: String(row.message),
  runId: String(row.run_id),
  createdAt: toNumber(row.created_at),
});

/** Creates the {@link ConversationStore} over an {@link Executor}. */
export function createConversationStore(db: Executor): ConversationStore {
  const one = async (query: SQL): Promise<Conversation | undefined> => {
    const row = (await queryRows(db, query))[0];
    return row === undefined ? undefined : conversationFromRow(row);
  };
  return {
    async create(conversation) {
      const created = await one(
        sql`INSERT INTO conversations (id, org_id, agent_id, title, turns, started, created_at, updated_at)
            VALUES (${conversation.id}, ${conversation.orgId}, ${conversation.agentId}, ${conversation.title}, 0, 0,
              ${conversation.now}::bigint, ${conversation.now}::bigint)
            RETURNING *`,
      );
      if (created === undefined) throw new Error('conversation insert returned no row');
      return created;
    },

    get: (orgId, id) => one(sql`SELECT * FROM conversations WHERE org_id = ${orgId} AND id = ${id}`),

    async list(query) {
      const cursor =
        query.before === undefined
          ? sql``
          : sql`AND (updated_at, id) < (SELECT updated_at, id FROM conversations WHERE id = ${query.before} AND org_id = ${query.orgId})`;
      const rows = await queryRows(
        db,
        sql`SELECT * FROM conversations WHERE org_id = ${query.orgId} ${cursor}
            ORDER BY updated_at DESC, id DESC LIMIT ${query.limit ?? 50}`,
      );
      return rows.map(conversationFromRow);
    },

    async appendTurn(orgId, conversationId, turn) {
      // One statement: the count's row lock orders concurrent messages, so seq has no gaps. The run id
      // is core's `turnRunId`, spelled in SQL.
      const rows = await queryRows(
        db,
        sql`WITH counted AS (
              UPDATE conversations SET turns = turns + 1, updated_at = GREATEST(updated_at, ${turn.now}::bigint)
              WHERE org_id = ${orgId} AND id = ${conversationId}
              RETURNING id, turns
            )
            INSERT INTO conversation_turns (conversation_id, seq, message, run_id, created_at)
            SELECT c.id, c.turns, ${turn.message}, 'run_' || regexp_replace(c.id, '^conv_', '') || 't' || c.turns,
              ${turn.now}::bigint
            FROM counted c
            RETURNING *`,
      );
      const row = rows[0];
      return row === undefined ? undefined : turnFromRow(row);
    },

    async turns(orgId, conversationId, query = {}) {
      const rows = await queryRows(
        db,
        sql`SELECT t.* FROM conversation_turns t
            JOIN conversations c ON c.id = t.conversation_id AND c.org_id = ${orgId}
            WHERE t.conversation_id = ${conversationId} AND t.seq > ${query.afterSeq ?? 0}::int
            ORDER BY t.seq LIMIT ${query.limit ?? 1000}`,
      );
      return rows.map(turnFromRow);
    },

    async markStarted(orgId, id, seq, now) {
      const rows = await queryRows(
        db,
        sql`UPDATE conversations SET started = ${seq}::int, updated_at = GREATEST(updated_at, ${now}::bigint)
            WHERE org_id = ${orgId} AND id = ${id} AND started = ${seq - 1}::int AND turns >= ${seq}::int
            RETURNING id`,
      );
      return rows.length > 0;
    },

    async withPendingTurns(query) {
      const rows = await queryRows(
        db,
        sql`SELECT * FROM conversations WHERE started < turns
              ${query.orgId === undefined ? sql`` : sql`AND org_id = ${query.orgId}`}
            ORDER BY updated_at LIMIT ${query.limit}`,
      );
      return rows.map(conversationFromRow);
    },

    async delete(orgId, id) {
      const rows = await queryRows(
        db,
        sql`DELETE FROM conversations WHERE org_id = ${orgId} AND id = ${id} RETURNING id`,
      );
      return rows.length > 0;
    },
  };
}
