/** Opens the cluster store: a node-postgres pool on `DATABASE_URL`. */
import type { AutonomaError } from '@autonoma/core';
import { dependencyError, describeError, userError } from '@autonoma/core';
import pg from 'pg';
import {
  createCounters,
  extensionAvailable,
  parameterBytes,
  type DriverCounters,
  type OpenedDriver,
} from '../driver.ts';
import { poolExecutor } from './pool-executor.ts';

/** Options of the PostgreSQL store. */
export interface PostgresOptions {
  url: string;
  /** @default 10 */
  poolSize?: number;
  /** Where pool errors are reported. */
  log?: (message: string) => void;
}

/** Validates a PostgreSQL URL without ever echoing it (it may carry a password). */
export function parsePostgresUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidUrl('it is not a URL');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw invalidUrl(`the scheme is '${parsed.protocol.replace(/:$/, '')}'`);
  }
  if (parsed.hostname === '' && !parsed.searchParams.has('host')) throw invalidUrl('the host is missing');
  return parsed;
}

const invalidUrl = (why: string): AutonomaError =>
  userError(
    'invalid_config',
    `DATABASE_URL is not a valid PostgreSQL URL (${why}); expected postgres://user:password@host:5432/database`,
    { key: 'DATABASE_URL' },
  );

/** Maps a connection failure to one line naming host and port (never the password). */
export function unreachable(url: URL, error: unknown): AutonomaError {
  const host = url.hostname || url.searchParams.get('host') || 'localhost';
  const port = url.port || '5432';
  const code = (error as { code?: unknown }).code;
  const reason =
    typeof code === 'string' && /^E[A-Z]+$/.test(code)
      ? code
      : typeof code === 'string'
        ? `${code} ${describeError(error)}`
        : describeError(error);
  return dependencyError(`cannot reach PostgreSQL at ${host}:${port}: ${reason}`, error);
}

/** Distinct statements a connection prepares; the SQL here is a fixed set of templates, this bounds surprises. */
const maxPreparedPerConnection = 256;

/** Statement texts whose names are remembered, shared by the pool's connections. */
const maxNamedTexts = 1024;

/** A stable statement name for a SQL text (FNV-1a), so each connection parses and plans it once. */
function statementName(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1)
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193) >>> 0;
  return `autonoma_${hash.toString(36)}_${text.length}`;
}

/**
 * Counts statements, commits and parameter bytes on every pooled client, and names parameterised
 * statements so PostgreSQL prepares them once per connection (the step commit runs thousands of times).
 */
function countClient(client: pg.PoolClient, counters: DriverCounters, names: Map<string, string>): void {
  const original = client.query.bind(client) as (...args: unknown[]) => unknown;
  const prepared = new Set<string>();
  let inTransaction = false;
  const counting = (...args: unknown[]): unknown => {
    const [first, second] = args;
    if (first !== null && typeof first === 'object' && Array.isArray(second) && second.length > 0) {
      const config = first as { text?: string; name?: string };
      if (config.name === undefined && typeof config.text === 'string') {
        // The name is looked up by text (hashed natively) rather than recomputed in JS on every call.
        let name = names.get(config.text);
        if (name === undefined) {
          name = statementName(config.text);
          if (names.size < maxNamedTexts) names.set(config.text, name);
        }
        if (prepared.has(name) || prepared.size < maxPreparedPerConnection) {
          prepared.add(name);
          args[0] = { ...config, name };
        }
      }
    }
    const text = typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '');
    const values = Array.isArray(second) ? second : (first as { values?: unknown[] } | undefined)?.values;
    const verb = text.trimStart().slice(0, 11).toLowerCase();
    counters.statements += 1;
    counters.bytesWritten += parameterBytes(values);
    if (verb.startsWith('begin')) inTransaction = true;
    else if (verb.startsWith('commit')) {
      inTransaction = false;
      counters.commits += 1;
    } else if (verb.startsWith('rollback') && !verb.startsWith('rollback to')) inTransaction = false;
    else if (!inTransaction) counters.commits += 1;
    return original(...args);
  };
  Object.defineProperty(client, 'query', { value: counting, configurable: true, writable: true });
}

/** Connects once with a short timeout, so an unreachable server fails fast with one line. */
async function checkReachable(url: URL, connectionString: string): Promise<void> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw unreachable(url, error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Opens a pool and checks that the server answers; does not migrate. */
export async function openPostgres(options: PostgresOptions): Promise<OpenedDriver> {
  const url = parsePostgresUrl(options.url);
  const counters = createCounters();
  await checkReachable(url, options.url);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    // Also bounds the wait for a free pooled client; under thousands of concurrent runs that wait is
    // legitimate, so it is generous. Reachability is checked above with a short timeout.
    connectionTimeoutMillis: 120_000,
  });
  const names = new Map<string, string>();
  pool.on('connect', (client) => countClient(client, counters, names));
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (error) => options.log?.(`postgres pool error: ${describeError(error)}`));
  const executor = poolExecutor(pool);
  const ping = async (): Promise<void> => {
    try {
      await pool.query('SELECT 1');
    } catch (error) {
      throw unreachable(url, error);
    }
  };
  try {
    await ping();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  let closed = false;
  return {
    executor,
    counters,
    vectorAvailable: () => extensionAvailable(executor, 'vector'),
    ping,
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
