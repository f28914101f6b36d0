/**
 * The {@link Executor} over a node-postgres pool. Counting and statement naming happen on each pooled
 * client (`countClient` in open-postgres.ts), so BEGIN/COMMIT/ROLLBACK are counted there too.
 */
import pg from 'pg';
import { textTypeOids, transactionExecutor, type Executor, type QueryResult } from '../driver.ts';
import { storableParameters, toQuery, type SQL } from '../sql.ts';
import { storeFailure } from '../store-errors.ts';

const keepText = (value: string): string => value;
const textTypes = new Set(textTypeOids);
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    textTypes.has(oid) ? keepText : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

async function run(target: pg.Pool | pg.PoolClient, query: SQL): Promise<QueryResult> {
  const { text, values } = toQuery(query);
  // A config object plus a separate values array: `countClient` names such statements so each
  // connection prepares them once.
  try {
    const result = await target.query<Record<string, unknown>>({ text, types }, storableParameters(values));
    return { rows: result.rows };
  } catch (error) {
    throw storeFailure(error);
  }
}

/** Wraps `pool`: autocommitted statements on any client; a transaction holds one client throughout. */
export function poolExecutor(pool: pg.Pool): Executor {
  return {
    execute: (query) => run(pool, query),
    async transaction(fn) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const tx = transactionExecutor((query) => run(client, query));
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          // The connection is unusable: have the pool discard it, and report the original failure.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
        throw error;
      } finally {
        client.release(broken);
      }
    },
  };
}
