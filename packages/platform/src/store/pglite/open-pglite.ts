/**
 * Opens the embedded store: PGlite (PostgreSQL in WASM) with pgvector, file-backed under `dir` (locked
 * against a second opener) or in memory when no directory is given.
 */
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { userError, describeError } from '@autonoma/core';
import { createCounters, type OpenedDriver } from '../driver.ts';
import { dataDirectoryProblem } from './data-directory.ts';
import { acquireDirectoryLock, type DirectoryLock } from './lock-file.ts';
import { pgliteExecutor } from './pglite-executor.ts';

/**
 * PostgreSQL settings for one embedded process. PGlite is single-user, and its start-up time is mostly
 * PostgreSQL zeroing and initialising shared memory: the stock 128 MB of shared buffers and 100
 * connection slots made every CLI command pay about a second. 16 MB of buffers cache the working set of
 * a laptop's store (the OS caches the files too); see docs/store.md for the measurements.
 */
const startParameters = [
  ...PGlite.defaultStartParams,
  '-c',
  'shared_buffers=16MB',
  '-c',
  'max_connections=10',
];

/** Options of the embedded store. */
export interface PgliteOptions {
  /** Data directory; in memory when absent. */
  dir?: string;
}

async function ensureWritable(dir: string): Promise<void> {
  const problem = await dataDirectoryProblem(dir);
  if (problem)
    throw userError('invalid_config', `the data directory ${dir} is not usable: ${problem}`, { dir });
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
    pglite = await PGlite.create({ dataDir, extensions: { vector }, startParams: startParameters });
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
  const executor = pgliteExecutor(pglite, counters);
  let closed = false;
  return {
    executor,
    counters,
    vectorAvailable: async () => true,
    ping: async () => {
      await pglite.query('SELECT 1');
    },
    dump: async () => {
      // Committed changes reach the data files first; a statement that slips in between the two is in
      // the image's WAL, replayed when the image is opened (the image is crash-consistent either way).
      await pglite.query('CHECKPOINT');
      const image = await pglite.dumpDataDir('gzip');
      return new Uint8Array(await image.arrayBuffer());
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
