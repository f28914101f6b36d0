/**
 * What every store driver (PGlite, node-postgres) hands to the shared repositories: a Drizzle
 * PostgreSQL database plus the counters the step benchmark reads.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';

/** The Drizzle database the repositories are written against (PGlite and node-postgres share it). */
export type StoreDatabase = PgDatabase<PgQueryResultHKT>;

/** Anything that can run a raw statement: the database or a transaction. */
export interface Executor {
  execute: StoreDatabase['execute'];
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

/** An opened driver: the Drizzle database, its counters and its lifecycle. */
export interface OpenedDriver {
  db: StoreDatabase;
  counters: DriverCounters;
  /** True when the driver offers the pgvector extension. */
  vectorAvailable(): Promise<boolean>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Fresh zeroed counters. */
export const createCounters = (): DriverCounters => ({ statements: 0, commits: 0, bytesWritten: 0 });

const encoder = new TextEncoder();

/** Approximate bytes a list of bound parameters puts on the wire. */
export function parameterBytes(values: readonly unknown[] | undefined): number {
  let total = 0;
  for (const value of values ?? []) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'string') total += encoder.encode(value).byteLength;
    else if (typeof value === 'number' || typeof value === 'bigint') total += 8;
    else if (typeof value === 'boolean') total += 1;
    else if (value instanceof Uint8Array) total += value.byteLength;
    else total += encoder.encode(JSON.stringify(value) ?? '').byteLength;
  }
  return total;
}

/** Runs a raw statement and returns its rows (both drivers answer `{ rows }`). */
export async function queryRows(executor: Executor, query: SQL): Promise<Record<string, unknown>[]> {
  const result: unknown = await executor.execute(query);
  // Both drivers return an object with `rows` (pg's QueryResult, PGlite's Results).
  return (result as { rows: Record<string, unknown>[] }).rows;
}

/** True when the extension is installable on the server behind `executor`. */
export async function extensionAvailable(executor: Executor, name: string): Promise<boolean> {
  const rows = await queryRows(executor, sql`SELECT 1 FROM pg_available_extensions WHERE name = ${name}`);
  return rows.length > 0;
}
