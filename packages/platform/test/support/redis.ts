import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { waitFor } from './wait-for.ts';

/** The shared Redis the integration suites use. They fail (never skip) when it does not answer. */
export const sharedRedisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** Throws, naming the URL, when Redis does not answer a PING. */
export async function expectRedisAnswers(url: string = sharedRedisUrl): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    if ((await client.ping()) !== 'PONG') throw new Error('no PONG');
  } catch (error) {
    throw new Error(`Redis at ${url} does not answer; these tests need it`, { cause: error });
  } finally {
    client.disconnect();
  }
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** A private `redis-server` on a free port: tests that FLUSHALL or restart Redis never touch the shared one. */
export interface OwnRedis {
  readonly url: string;
  readonly port: number;
  /** Runs one command on it (e.g. `FLUSHALL`). */
  command(...args: string[]): Promise<unknown>;
  stop(): Promise<void>;
}

/** Starts an {@link OwnRedis}; `extra` are more `redis-server` arguments (e.g. `--maxmemory-policy`). */
export async function startOwnRedis(extra: string[] = []): Promise<OwnRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(() => output.includes('Ready to accept connections') || child.exitCode !== null, {
    what: `redis-server on port ${port} to start`,
    timeoutMs: 20_000,
  });
  if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
  const url = `redis://127.0.0.1:${port}`;
  return {
    url,
    port,
    async command(...args) {
      const client = new Redis(url, { maxRetriesPerRequest: 1 });
      try {
        const [name, ...rest] = args;
        return await client.call(name ?? 'PING', ...rest);
      } finally {
        client.disconnect();
      }
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
