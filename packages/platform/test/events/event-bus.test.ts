import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { RunSignal } from '@autonoma/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalEventBus } from '../../src/events/local-event-bus.ts';
import { createRedisEventBus } from '../../src/events/redis-event-bus.ts';
import {
  FakeEventStore,
  type Collected,
  collect,
  commitAndPublish,
  describeEventBusContract,
  range,
  uniqueRunId,
  waitFor,
  waitForSeq,
} from './event-bus.contract.ts';

/** The shared Redis; the suite fails (never skips) when it does not answer. */
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

async function expectRedisAnswers(url: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    expect(await client.ping()).toBe('PONG');
  } catch (error) {
    throw new Error(`Redis at ${url} does not answer; the event bus tests need it`, { cause: error });
  } finally {
    client.disconnect();
  }
}

let prefixCounter = 0;

describeEventBusContract({
  name: 'local',
  raceIterations: 250,
  async open({ readEvents, pageSize }) {
    const bus = createLocalEventBus({ readEvents, pageSize });
    return { publisher: bus, subscriber: bus, close: () => bus.close() };
  },
});

describeEventBusContract({
  name: 'redis',
  raceIterations: 60,
  setup: () => expectRedisAnswers(redisUrl),
  async open({ readEvents, pageSize }) {
    // Two buses are two processes; a prefix of their own keeps them apart from everything else on Redis.
    const channelPrefix = `autonoma-test:${process.pid}:${(prefixCounter += 1)}:`;
    const options = { url: redisUrl, readEvents, pageSize, channelPrefix };
    const publisher = createRedisEventBus(options);
    const subscriber = createRedisEventBus(options);
    return {
      publisher,
      subscriber,
      close: async () => {
        await Promise.all([publisher.close(), subscriber.close()]);
      },
    };
  },
});

const busModule = new URL('../../src/events/redis-event-bus.ts', import.meta.url).href;

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** A `redis-server` of the test's own, on a free port, that the test may stop and start again. */
class OwnRedisServer {
  #child: ChildProcess | undefined;
  #output = '';

  readonly port: number;

  private constructor(port: number) {
    this.port = port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<OwnRedisServer> {
    const server = new OwnRedisServer(await freePort());
    await server.start();
    return server;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.#output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.#output += chunk.toString()));
    await waitFor(
      () => this.#output.includes('Ready to accept connections') || child.exitCode !== null,
      () => `redis-server on port ${this.port} to start: ${this.#output}`,
    );
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${this.#output}`);
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }
}

describe('EventBus [redis] across a Redis restart', () => {
  let server: OwnRedisServer | undefined;
  beforeAll(async () => {
    server = await OwnRedisServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('delivers every commit in order, with no gap and no duplicate, when Redis restarts twice', async () => {
    if (!server) throw new Error('redis-server did not start');
    const own = server;
    const store = new FakeEventStore();
    const options = { url: own.url, readEvents: store.readEvents, pageSize: 3, publishTimeoutMs: 300 };
    const publisher = createRedisEventBus(options);
    const subscriber = createRedisEventBus(options);
    const signals: Array<[string, RunSignal]> = [];
    subscriber.onSignal((runId, message) => signals.push([runId, message]));
    const expectSignalsFlow = async (label: string): Promise<void> => {
      const deadline = Date.now() + 30_000;
      while (!signals.some(([runId]) => runId === label)) {
        if (Date.now() > deadline) throw new Error(`signal ${label} never arrived`);
        await publisher.signal(label, { type: 'wake' }).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    try {
      const runId = uniqueRunId('restart');
      const early = collect(subscriber, runId);
      await commitAndPublish(publisher, store, runId, 3);
      await waitForSeq(early, 3);
      await expectSignalsFlow('before');

      const joinedDuringOutage: Collected[] = [];
      for (const outage of [1, 2]) {
        await own.stop();
        // Redis is down: publishing neither throws nor hangs, and the commits go on. This worker then
        // dies before Redis is back, so nothing re-announces its commits: only the store has them.
        const worker = createRedisEventBus(options);
        for (let index = 0; index < 4; index += 1) await commitAndPublish(worker, store, runId, 2);
        await expect(worker.signal(runId, { type: 'wake' })).rejects.toThrow(/Redis/);
        await worker.close();
        joinedDuringOutage.push(collect(subscriber, runId));
        await own.start();
        await waitForSeq(early, store.lastSeq(runId));
        await expectSignalsFlow(`after-${outage}`);
      }
      await commitAndPublish(publisher, store, runId, 2);
      const all = range(1, store.lastSeq(runId));
      for (const collected of [early, ...joinedDuringOutage]) {
        await waitForSeq(collected, all.length);
        expect(collected.errors).toEqual([]);
        expect(collected.seqs()).toEqual(all);
      }
    } finally {
      await Promise.all([publisher.close(), subscriber.close()]);
    }
  });

  it('leaves nothing that keeps a process alive once closed, with Redis up or down', async () => {
    if (!server) throw new Error('redis-server did not start');
    const closedPort = await freePort();
    // A child process is the only honest witness: it must exit by itself after close().
    const script = `
      const { createRedisEventBus } = await import(${JSON.stringify(busModule)});
      for (const url of ${JSON.stringify([server.url, `redis://127.0.0.1:${closedPort}`])}) {
        const bus = createRedisEventBus({ url, readEvents: async () => [], publishTimeoutMs: 200 });
        bus.subscribe({ orgId: 'org_test', runId: 'r', afterSeq: 0, onEvent() {} });
        bus.onSignal(() => {});
        await bus.publish([{ type: 'step-start', step: 1, runId: 'r', seq: 1, at: 1 }]);
        await bus.signal('r', { type: 'wake' }).catch(() => {});
        await bus.close();
      }
      console.log('closed');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '--eval', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitFor(
        () => child.exitCode !== null,
        () => `the child to exit after close(); it printed: ${output}`,
      );
    } finally {
      child.kill('SIGKILL');
    }
    expect(child.exitCode, output).toBe(0);
    expect(output).toContain('closed');
  });
});
