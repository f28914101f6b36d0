/** Cosine similarity over `real[]` columns in SQL, for servers without pgvector. */
import { sql, type SQL } from '../sql.ts';

/**
 * `cosine(column, query)` in plain SQL: NULL when either side is missing, has another dimension, or is
 * a zero vector. `queryLiteral` is a `{…}` literal bound as one parameter.
 */
export const cosineSql = (column: SQL, queryLiteral: string | null): SQL => sql`(
  SELECT CASE WHEN sum(a::float8 * a) > 0 AND sum(b::float8 * b) > 0 THEN sum(a::float8 * b) / (sqrt(sum(a::float8 * a)) * sqrt(sum(b::float8 * b))) END
  FROM unnest(${column}, ${queryLiteral}::real[]) AS pair(a, b)
  WHERE cardinality(${column}) = cardinality(${queryLiteral}::real[])
)`;
