/**
 * Opens the embedded store: PGlite (PostgreSQL in WASM) with pgvector, file-backed under `dir` (locked
 * against a second opener) or in memory when no directory is given.
 */
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite, type QueryOptions, type Transaction } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { userError, describeError } from '@autonoma/core';
import { drizzle } from 'drizzle-orm/pglite';
import {
  createCounters,
  parameterBytes,
  type DriverCounters,
  type OpenedDriver,
  type StoreDatabase,
} from '../driver.ts';
import { acquireDirectoryLock, type DirectoryLock } from './lock-file.ts';

/** Options of the embedded store. */
export interface PgliteOptions {
  /** Data directory; in memory when absent. */
  dir?: string;
}

async function ensureWritable(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? describeError(error);
    throw userError('invalid_config', `the data directory ${dir} is not writable: ${code}`, { dir });
  }
}

/** Wraps a PGlite instance so every statement, commit and parameter byte is counted. */
function countingPglite(pglite: PGlite, counters: DriverCounters): PGlite {
  const count = (params: unknown[] | undefined): void => {
    counters.statements += 1;
    counters.bytesWritten += parameterBytes(params);
  };
  const countingTransaction = (tx: Transaction): Transaction =>
    new Proxy(tx, {
      get(target, property) {
        if (property === 'query') {
          return (text: string, params?: unknown[], options?: QueryOptions) => {
            count(params);
            return target.query(text, params, options);
          };
        }
        if (property === 'exec') {
          return (text: string, options?: QueryOptions) => {
            count(undefined);
            return target.exec(text, options);
          };
        }
        return Reflect.get(target, property, target);
      },
    });
  return new Proxy(pglite, {
    get(target, property) {
      if (property === 'query') {
        return (text: string, params?: unknown[], options?: QueryOptions) => {
          count(params);
          counters.commits += 1;
          return target.query(text, params, options);
        };
      }
      if (property === 'exec') {
        return (text: string, options?: QueryOptions) => {
          count(undefined);
          counters.commits += 1;
          return target.exec(text, options);
        };
      }
      if (property === 'transaction') {
        return async <T>(callback: (tx: Transaction) => Promise<T>): Promise<T> => {
          counters.statements += 1; // BEGIN
          const result = await target.transaction((tx) => callback(countingTransaction(tx)));
          counters.statements += 1; // COMMIT
          counters.commits += 1;
          return result;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Opens PGlite with pgvector; takes the directory lock first when file-backed. */
export async function openPglite(options: PgliteOptions): Promise<OpenedDriver> {
  let lock: DirectoryLock | undefined;
  let dataDir: string | undefined;
  if (options.dir !== undefined) {
    const dir = resolve(options.dir);
    await ensureWritable(dir);
    lock = await acquireDirectoryLock(dir);
    dataDir = join(dir, 'pglite');
  }
  let pglite: PGlite;
  try {
    pglite = await PGlite.create({ dataDir, extensions: { vector } });
    await pglite.exec('CREATE EXTENSION IF NOT EXISTS vector');
    // Filtered HNSW scans (per org and agent) keep searching until enough rows match (pgvector ≥ 0.8).
    await pglite.exec('SET hnsw.iterative_scan = relaxed_order');
  } catch (error) {
    await lock?.release();
    throw userError(
      'invalid_config',
      `cannot open the data directory ${options.dir ?? '(memory)'}: ${describeError(error)}`,
      {
        dir: options.dir,
      },
    );
  }
  const counters = createCounters();
  const db: StoreDatabase = drizzle({ client: countingPglite(pglite, counters) });
  let closed = false;
  return {
    db,
    counters,
    vectorAvailable: async () => true,
    ping: async () => {
      await pglite.query('SELECT 1');
    },
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await pglite.close();
      } finally {
        await lock?.release();
      }
    },
  };
}
