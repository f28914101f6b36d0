/**
 * What every store driver (PGlite, node-postgres) hands to the shared repositories: an {@link Executor}
 * that runs {@link SQL} fragments, plus the counters the step benchmark reads. There is no ORM at
 * runtime (see docs/store.md).
 */
import { sql, type SQL } from './sql.ts';

/** The rows a statement returned (both drivers answer `{ rows }`). */
export interface QueryResult {
  rows: Record<string, unknown>[];
}

/** Anything that runs statements: the database, or a transaction opened on it. */
export interface Executor {
  /** Runs one statement (autocommitted outside a transaction). */
  execute(query: SQL): Promise<QueryResult>;
  /**
   * Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. Inside a
   * transaction this opens a savepoint.
   */
  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;
}

/** Counters of work sent to the database driver. */
export interface DriverCounters {
  /** SQL statements sent (including BEGIN and COMMIT). */
  statements: number;
  /** Transactions committed, counting each autocommit statement as one. */
  commits: number;
  /** Bytes of bound parameters sent. */
  bytesWritten: number;
}

/** An opened driver: its executor, its counters and its lifecycle. */
export interface OpenedDriver {
  executor: Executor;
  counters: DriverCounters;
  /** True when the driver offers the pgvector extension. */
  vectorAvailable(): Promise<boolean>;
  ping(): Promise<void>;
  /**
   * PGlite only: a consistent image of the whole data directory (a gzipped tarball, as PGlite's
   * `dumpDataDir` makes it) taken after a checkpoint, between two statements; for `autonoma backup`.
   */
  dump?(): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Fresh zeroed counters. */
export const createCounters = (): DriverCounters => ({ statements: 0, commits: 0, bytesWritten: 0 });

/**
 * Approximate bytes a list of bound parameters puts on the wire. Counted on every statement, so it
 * measures UTF-8 lengths without encoding (no allocation per parameter).
 */
export function parameterBytes(values: readonly unknown[] | undefined): number {
  let total = 0;
  for (const value of values ?? []) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'string') total += Buffer.byteLength(value, 'utf8');
    else if (typeof value === 'number' || typeof value === 'bigint') total += 8;
    else if (typeof value === 'boolean') total += 1;
    else if (value instanceof Uint8Array) total += value.byteLength;
    else total += Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  }
  return total;
}

/**
 * The executor of an open transaction whose statements go through `run`; its own `transaction` nests
 * with savepoints `sp1`, `sp2`… (`depth` is the next savepoint's number).
 */
export function transactionExecutor(run: (query: SQL) => Promise<QueryResult>, depth = 1): Executor {
  return {
    execute: run,
    async transaction(fn) {
      const savepoint = sql.raw(`sp${depth}`);
      await run(sql`SAVEPOINT ${savepoint}`);
      try {
        const result = await fn(transactionExecutor(run, depth + 1));
        await run(sql`RELEASE SAVEPOINT ${savepoint}`);
        return result;
      } catch (error) {
        await run(sql`ROLLBACK TO SAVEPOINT ${savepoint}`);
        throw error;
      }
    },
  };
}

/** Runs a statement and returns its rows. */
export async function queryRows(executor: Executor, query: SQL): Promise<Record<string, unknown>[]> {
  return (await executor.execute(query)).rows;
}

/** True when the extension is installable on the server behind `executor`. */
export async function extensionAvailable(executor: Executor, name: string): Promise<boolean> {
  const rows = await queryRows(executor, sql`SELECT 1 FROM pg_available_extensions WHERE name = ${name}`);
  return rows.length > 0;
}

/**
 * Types both drivers return as their text, as drizzle-orm did (timestamps, dates, intervals and their
 * arrays, numeric[]), so ad-hoc queries read the same as before. The schema itself stores times as
 * bigint epoch milliseconds.
 */
export const textTypeOids: readonly number[] = [1082, 1114, 1184, 1186, 1182, 1115, 1185, 1187, 1231];
