/** The {@link Executor} over a PGlite instance, counting every statement, commit and parameter byte. */
import type { PGlite, QueryOptions, Transaction } from '@electric-sql/pglite';
import {
  parameterBytes,
  textTypeOids,
  transactionExecutor,
  type DriverCounters,
  type Executor,
  type QueryResult,
} from '../driver.ts';
import { storableParameters, toQuery, type SQL } from '../sql.ts';
import { storeFailure } from '../store-errors.ts';

const keepText = (value: string): string => value;
const queryOptions: QueryOptions = {
  rowMode: 'object',
  parsers: Object.fromEntries(textTypeOids.map((oid) => [oid, keepText])),
};

/** Wraps `pglite`: autocommitted statements, and transactions through `pglite.transaction`. */
export function pgliteExecutor(pglite: PGlite, counters: DriverCounters): Executor {
  const run = async (target: PGlite | Transaction, query: SQL): Promise<QueryResult> => {
    const { text, values } = toQuery(query);
    counters.statements += 1;
    counters.bytesWritten += parameterBytes(values);
    try {
      const result = await target.query<Record<string, unknown>>(
        text,
        storableParameters(values),
        queryOptions,
      );
      return { rows: result.rows };
    } catch (error) {
      throw storeFailure(error);
    }
  };
  return {
    execute: (query) => {
      counters.commits += 1;
      return run(pglite, query);
    },
    async transaction(fn) {
      counters.statements += 1; // BEGIN
      const result = await pglite.transaction((tx) => fn(transactionExecutor((query) => run(tx, query))));
      counters.statements += 1; // COMMIT
      counters.commits += 1;
      return result;
    },
  };
}
