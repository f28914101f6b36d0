/**
 * Long-term memory with recall scored as core's `recallScore`:
 * `weights.relevance·relevance + weights.recency·recency + weights.importance·importance`,
 * where `recency = 0.5^((now − lastAccessedAt) / halfLife)` (see `recallScoreSql` below).
 *
 * Recall must stay within ~10 ms at 100k memories, so it never scores a whole agent's memory. It first
 * collects a bounded candidate set, each part from an index, then scores only those candidates in SQL:
 *   - the K nearest by embedding through pgvector's HNSW index (when the extension is installed and the
 *     query has a 256-dimension embedding; `hnsw.iterative_scan` keeps the org/agent filter exact),
 *   - the K best full-text matches (by `ts_rank`) among the 4K most recently used matches, through the
 *     GIN index on the generated `tsvector` column or the recency index, whichever the planner prefers
 *     (ranking *all* matches of a common word is what would break the latency budget),
 *   - the K most recently accessed and the K most important, through the (org, agent, …) b-tree indexes,
 * with K = max(5 × limit, 32). On a PostgreSQL without pgvector, a memory that shares no word with the
 * query and is neither recent nor important can be missed: that is the price of a bounded scan, and the
 * reason the vector step is installed wherever the extension exists.
 *
 * Relevance is the cosine similarity when both the memory and the query have embeddings of the same size
 * (pgvector's `<=>` or, without it, a `real[]` computation over the candidates only), else
 * `ts_rank(…, 32)` (rank / (rank + 1), in 0..1), clamped at 0. Recall bumps `last_accessed_at` and
 * `access_count` of the rows it returns in the same statement.
 */
import type { Memory, MemoryKind, MemoryStore, RecallQuery, ScoredMemory } from '@autonoma/core';
import { sql, type SQL } from '../sql.ts';
import { queryRows, type Executor } from '../driver.ts';
import { cosineSql } from './similarity.ts';
import {
  realArrayLiteral,
  toNumber,
  toNumberArray,
  toStringOrNull,
  vectorDimension,
  vectorLiteral,
  jsonText,
} from './values.ts';

const columns = sql.raw(
  'id, org_id, agent_id, kind, text, importance, embedding, run_id, metadata, created_at, last_accessed_at, access_count',
);

const memoryFromRow = (row: Record<string, unknown>): Memory => ({
  id: String(row.id),
  orgId: String(row.org_id),
  agentId: String(row.agent_id),
  kind: String(row.kind) as MemoryKind,
  text: String(row.text),
  importance: toNumber(row.importance),
  embedding: toNumberArray(row.embedding),
  runId: toStringOrNull(row.run_id),
  metadata: (row.metadata ?? {}) as Record<string, unknown>,
  createdAt: toNumber(row.created_at),
  lastAccessedAt: toNumber(row.last_accessed_at),
  accessCount: toNumber(row.access_count),
});

/** Words of a text as an OR-ed `to_tsquery` input; letters and digits only, so it is always valid. */
export function tsQueryText(text: string): string | null {
  const words = [...new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])].slice(0, 32);
  return words.length === 0 ? null : words.join(' | ');
}

/**
 * The recall score in SQL, built only here: the twin of core's `recallScore`
 * (`packages/core/src/memory/recall-score.ts`) — the same [0, 1] clamps, the same recency
 * `0.5^(age / halfLife)` with its half-life floor and exponent cap, the same weighted sum. Change the
 * two together; the MemoryStore contract checks that recall's scores equal `recallScore`'s.
 */
const recallScoreSql = {
  /** `clamp01`. */
  unit: (value: SQL): SQL => sql`LEAST(1, GREATEST(0, ${value}))`,
  /** `recencyOf(age, halfLife)`. */
  recency: (ageMs: SQL, halfLifeMs: number): SQL =>
    sql`power(0.5, LEAST(GREATEST(0, ${ageMs})::float8 / ${Math.max(halfLifeMs, 1)}::float8, 1000))`,
  /** The weighted sum of the (already clamped) parts. */
  score: (weights: RecallQuery['weights'], parts: { relevance: SQL; recency: SQL; importance: SQL }): SQL =>
    sql`${weights.relevance}::float8 * ${parts.relevance} + ${weights.recency}::float8 * ${parts.recency}
      + ${weights.importance}::float8 * ${parts.importance}`,
};

const kindsIn = (kinds: MemoryKind[] | undefined): SQL =>
  kinds === undefined || kinds.length === 0
    ? sql``
    : sql`AND kind IN (SELECT jsonb_array_elements_text(${jsonText(kinds)}::jsonb))`;

/** Creates the {@link MemoryStore}; `vectorSearch` says whether the pgvector columns exist. */
export function createMemoryStore(db: Executor, vectorSearch: () => boolean): MemoryStore {
  return {
    get vectorSearch() {
      return vectorSearch();
    },

    async write(memory) {
      const rows = await queryRows(
        db,
        sql`INSERT INTO memories (id, org_id, agent_id, kind, text, importance, embedding, run_id, metadata,
              created_at, last_accessed_at, access_count)
            VALUES (${memory.id}, ${memory.orgId}, ${memory.agentId}, ${memory.kind}, ${memory.text},
              ${memory.importance}::real, ${realArrayLiteral(memory.embedding)}::real[], ${memory.runId},
              ${jsonText(memory.metadata)}::jsonb, ${memory.createdAt}::bigint, ${memory.lastAccessedAt}::bigint,
              ${memory.accessCount}::int)
            ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, text = excluded.text, importance = excluded.importance,
              embedding = excluded.embedding, run_id = excluded.run_id, metadata = excluded.metadata,
              last_accessed_at = excluded.last_accessed_at, access_count = excluded.access_count
            RETURNING ${columns}`,
      );
      const row = rows[0];
      if (row === undefined) throw new Error('memory upsert returned no row');
      return memoryFromRow(row);
    },

    async recall(query) {
      const candidates = Math.max(query.limit * 5, 32);
      const scope = sql`org_id = ${query.orgId} AND agent_id = ${query.agentId} ${kindsIn(query.kinds)}`;
      const words = tsQueryText(query.text);
      const embedding = query.embedding !== null && query.embedding.length > 0 ? query.embedding : null;
      const useVector = vectorSearch() && embedding !== null && embedding.length === vectorDimension;
      const tsQuery = sql`to_tsquery('english', ${words}::text)`;
      const vector = sql`${vectorLiteral(embedding)}::vector`;
      const parts: SQL[] = [
        sql`(SELECT id FROM memories WHERE ${scope} ORDER BY last_accessed_at DESC LIMIT ${candidates})`,
        sql`(SELECT id FROM memories WHERE ${scope} ORDER BY importance DESC LIMIT ${candidates})`,
      ];
      if (words !== null) {
        parts.push(
          // Ranking every match is unbounded when a word is common (tens of thousands of rows), so
          // rank only the most recently used matches: the planner walks the recency index backwards
          // for common words and uses the GIN index for rare ones; either way the work is bounded.
          sql`(SELECT id FROM (
                 SELECT id, search FROM memories WHERE ${scope} AND search @@ ${tsQuery}
                 ORDER BY last_accessed_at DESC LIMIT ${candidates * 4}
               ) recent_matches ORDER BY ts_rank(search, ${tsQuery}) DESC LIMIT ${candidates})`,
        );
      }
      if (useVector) {
        parts.push(
          sql`(SELECT id FROM memories WHERE ${scope} AND embedding_vector IS NOT NULL
               ORDER BY embedding_vector <=> ${vector} LIMIT ${candidates})`,
        );
      }
      const textRelevance = words === null ? sql`0` : sql`ts_rank(m.search, ${tsQuery}, 32)`;
      const cosine =
        embedding === null
          ? sql`NULL::float8`
          : useVector
            ? sql`1 - (m.embedding_vector <=> ${vector})`
            : cosineSql(sql.raw('m.embedding'), realArrayLiteral(embedding));
      const score = recallScoreSql.score(query.weights, {
        relevance: sql.raw('s.relevance'),
        recency: sql.raw('s.recency'),
        importance: sql.raw('s.clamped_importance'),
      });
      const rows = await queryRows(
        db,
        sql`WITH candidates AS (${sql.join(parts, sql` UNION `)}),
            scored AS (
              SELECT m.id, ${recallScoreSql.unit(sql`COALESCE(${cosine}, ${textRelevance})`)}::float8 AS relevance,
                ${recallScoreSql.recency(sql`${query.now}::bigint - m.last_accessed_at`, query.halfLifeMs)} AS recency,
                ${recallScoreSql.unit(sql.raw('m.importance'))} AS clamped_importance
              FROM memories m WHERE m.id IN (SELECT id FROM candidates)
            ),
            top AS (
              SELECT m.*, s.relevance, s.recency, s.clamped_importance, ${score} AS score
              FROM scored s JOIN memories m ON m.id = s.id
              ORDER BY score DESC, m.created_at DESC, m.id LIMIT ${query.limit}
            ),
            -- A memory another recall is touching at this instant is skipped rather than waited for:
            -- runs of one agent recall the same few memories, and waiting made them queue behind each
            -- other (a lock convoy: 0.7 s per recall at 50 runs in flight). Its recency is being set
            -- to now by the other recall; only this recall's access count is not added.
            lockable AS (
              SELECT id FROM memories WHERE id IN (SELECT id FROM top) FOR UPDATE SKIP LOCKED
            ),
            touched AS (
              UPDATE memories SET last_accessed_at = GREATEST(last_accessed_at, ${query.now}::bigint),
                access_count = access_count + 1
              WHERE id IN (SELECT id FROM lockable)
            )
            SELECT ${columns}, relevance, recency, clamped_importance, score FROM top
            ORDER BY score DESC, created_at DESC, id`,
      );
      return rows.map((row): ScoredMemory => {
        const memory = memoryFromRow(row);
        return {
          memory: {
            ...memory,
            lastAccessedAt: Math.max(memory.lastAccessedAt, query.now),
            accessCount: memory.accessCount + 1,
          },
          score: toNumber(row.score),
          relevance: toNumber(row.relevance),
          recency: toNumber(row.recency),
          importance: toNumber(row.clamped_importance),
        };
      });
    },

    async list(filter) {
      const rows = await queryRows(
        db,
        sql`SELECT ${columns} FROM memories WHERE org_id = ${filter.orgId}
              ${filter.agentId === undefined ? sql`` : sql`AND agent_id = ${filter.agentId}`}
              ${filter.kind === undefined ? sql`` : sql`AND kind = ${filter.kind}`}
              ${
                filter.before === undefined
                  ? sql``
                  : sql`AND (created_at, id) < (SELECT created_at, id FROM memories WHERE id = ${filter.before} AND org_id = ${filter.orgId})`
              }
            ORDER BY created_at DESC, id DESC LIMIT ${filter.limit ?? 50}`,
      );
      return rows.map(memoryFromRow);
    },

    async get(orgId, id) {
      const rows = await queryRows(
        db,
        sql`SELECT ${columns} FROM memories WHERE org_id = ${orgId} AND id = ${id}`,
      );
      return rows[0] === undefined ? undefined : memoryFromRow(rows[0]);
    },

    async delete(orgId, id) {
      const rows = await queryRows(
        db,
        sql`DELETE FROM memories WHERE org_id = ${orgId} AND id = ${id} RETURNING id`,
      );
      return rows.length > 0;
    },

    async decay(orgId, before, factor, floor) {
      // Disjoint sets in one statement: rows that would fall below the floor are deleted, the rest decayed.
      const stale = sql`org_id = ${orgId} AND last_accessed_at < ${before}::bigint`;
      const rows = await queryRows(
        db,
        sql`WITH deleted AS (
              DELETE FROM memories WHERE ${stale} AND importance * ${factor}::float8 < ${floor}::float8 RETURNING id
            ), decayed AS (
              UPDATE memories SET importance = importance * ${factor}::float8
              WHERE ${stale} AND importance * ${factor}::float8 >= ${floor}::float8 RETURNING id
            )
            SELECT (SELECT count(*) FROM decayed) AS decayed, (SELECT count(*) FROM deleted) AS deleted`,
      );
      const row = rows[0] ?? {};
      const deleted = toNumber(row.deleted ?? 0);
      return { decayed: toNumber(row.decayed ?? 0) + deleted, deleted };
    },
  };
}
