/**
 * Cross-process wake of the outbox relay. Jobs written by a process that runs no relay (an API replica)
 * are announced over Redis, and the relay of another process — its own database pool and Redis
 * connections — passes at once. Every relay here polls only every 10 minutes, so a job that gets sent
 * was sent because of the announcement: without it these tests time out.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomIds, systemClock, type Scope } from '@autonoma/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createBullmqQueue } from '../../src/jobs/bullmq-queue.ts';
import { createWakeChannel } from '../../src/jobs/wake-channel.ts';
import { createWakeup } from '../../src/jobs/wakeup.ts';
import { createDatabase, queryRows, sql, type Database } from '../../src/store/index.ts';
import { startWorkerPool, type WorkerPool } from '../../src/worker.ts';
import type { Fixture } from '../fixtures/openai-server.ts';
import { startOpenAiFixture } from '../fixtures/openai-server.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { expectRedisAnswers, sharedRedisUrl } from '../support/redis.ts';
import { waitFor } from '../support/wait-for.ts';

/** Longer than any test here: a relay that passes did so because it was woken. */
const neverPollMs = 600_000;

let postgres: { url: string; drop: () => Promise<void> } | undefined;
const prefixes: string[] = [];
const newPrefix = (): string => {
  const prefix = `autonoma-wake-${process.pid}-${prefixes.length + 1}`;
  prefixes.push(prefix);
  return prefix;
};

/** Resolves once `count` connections listen to the relay wake-up channel of `prefix`. */
async function listening(prefix: string, count: number): Promise<void> {
  const client = new Redis(sharedRedisUrl);
  try {
    await waitFor(
      async () => {
        const reply = (await client.call('PUBSUB', 'NUMSUB', `${prefix}:jobs-written`)) as unknown[];
        return Number(reply[1]) >= count;
      },
      { what: `a relay listening on ${prefix}:jobs-written` },
    );
  } finally {
    client.disconnect();
  }
}

async function jobStatus(db: Database, id: string): Promise<string | undefined> {
  const rows = await queryRows(db.executor, sql`SELECT status FROM jobs WHERE id = ${id}`);
  return rows[0] === undefined ? undefined : String(rows[0].status);
}

beforeAll(async () => {
  await expectRedisAnswers();
  postgres = await createTestDatabase('autonoma_relay_wake');
  const database = await createDatabase({ kind: 'postgres', url: postgres.url });
  await database.migrate();
  await database.close();
});

afterAll(async () => {
  const client = new Redis(sharedRedisUrl);
  try {
    for (const prefix of prefixes) {
      const keys = await client.keys(`bull:${prefix}-*`);
      if (keys.length > 0) await client.del(...keys);
    }
  } finally {
    client.disconnect();
  }
  await postgres?.drop();
});

describe('relay wake-up across processes', () => {
  it('coalesces a burst of announcements into at most two messages, and delivers them', async () => {
    const prefix = newPrefix();
    const sender = createWakeChannel({ redisUrl: sharedRedisUrl, prefix });
    const receiver = createWakeChannel({ redisUrl: sharedRedisUrl, prefix });
    let wakes = 0;
    const listener = receiver.listen(() => (wakes += 1));
    try {
      await listening(prefix, 1);
      for (let index = 0; index < 100; index += 1) sender.announce();
      await waitFor(() => listener.received >= 1, { what: 'the announcement to arrive' });
      // The second (owed) message, when there is one, follows the first; then nothing more comes.
      await sender.close();
      expect(listener.received).toBeGreaterThanOrEqual(1);
      expect(listener.received).toBeLessThanOrEqual(2);
      expect(wakes).toBe(listener.received);
    } finally {
      await sender.close();
      await receiver.close();
    }
  });

  it("wakes another process's relay when a process without one enqueues", async () => {
    if (!postgres) throw new Error('no database');
    const prefix = newPrefix();
    const open = async () => {
      const database = await createDatabase({ kind: 'postgres', url: postgres?.url ?? '', poolSize: 2 });
      const queue = createBullmqQueue({
        db: database.executor,
        clock: systemClock,
        ids: randomIds,
        wakeup: createWakeup(),
        redisUrl: sharedRedisUrl,
        prefix,
        defaultOrgCap: 100,
      });
      return { database, queue };
    };
    const writer = await open();
    const relayer = await open();
    await writer.database.executor.execute(
      sql`INSERT INTO organizations (id, name, created_at) VALUES ('org_wake', 'wake', 0) ON CONFLICT DO NOTHING`,
    );
    const job = (n: number) => ({ kind: 'noop', orgId: 'org_wake', payload: { n } });
    try {
      // Written before the relay starts: its first pass sends it; from then on it only waits.
      const first = await writer.queue.enqueue(job(0));
      const relay = relayer.queue.startRelay({ intervalMs: neverPollMs });
      await listening(prefix, 1);
      await waitFor(async () => (await jobStatus(relayer.database, first.id)) === 'sent', {
        what: 'the first pass to send the first job',
      });

      const second = await writer.queue.enqueue(job(1));
      await waitFor(async () => (await jobStatus(relayer.database, second.id)) === 'sent', {
        what: 'the woken relay to send the second job',
      });
      expect(relay.woken).toBeGreaterThanOrEqual(1);

      // A relay that is stopped no longer listens, and a process with its own relay announces nothing.
      await relay.stop();
      const local = writer.queue.startRelay({ intervalMs: neverPollMs });
      await listening(prefix, 1);
      const third = await writer.queue.enqueue(job(2));
      await waitFor(async () => (await jobStatus(writer.database, third.id)) === 'sent', {
        what: 'the writer’s own relay to send the third job',
      });
      expect(local.woken).toBe(0);
      await local.stop();
    } finally {
      await writer.queue.close();
      await relayer.queue.close();
      await writer.database.close();
      await relayer.database.close();
    }
  });

  describe('two apps: an API-like writer and a worker', () => {
    let model: Fixture | undefined;
    let writer: App | undefined;
    let worker: App | undefined;
    let pool: WorkerPool | undefined;

    afterAll(async () => {
      await pool?.stop({ drain: false });
      await writer?.close();
      await worker?.close();
      await model?.close();
    });

    it('a run created in one process is started by the other without waiting for its relay’s poll', async () => {
      if (!postgres) throw new Error('no database');
      model = await startOpenAiFixture(() => ({ kind: 'text', text: 'done' }));
      const prefix = newPrefix();
      const appFor = async (): Promise<App> => {
        const root = mkdtempSync(join(tmpdir(), 'autonoma-wake-'));
        const { config } = loadConfig({
          env: {
            AUTONOMA_HOME: join(root, 'home'),
            DATABASE_URL: postgres?.url ?? '',
            REDIS_URL: sharedRedisUrl,
            AUTONOMA_QUEUE_PREFIX: prefix,
            AUTONOMA_MODEL: 'openai-compatible:fixture',
            AUTONOMA_MODEL_BASE_URL: `${model?.url ?? ''}/v1`,
          },
          cwd: root,
        });
        return createApp(config, { cwd: root });
      };
      writer = await appFor();
      worker = await appFor();
      expect(writer.mode).toBe('cluster');
      const scope: Scope = writer.localScope;
      await writer.services.agents.ensureDefault(scope);
      const runs = writer.services.runs;
      const jobOf = async (runId: string) =>
        (await writer?.services.jobs.list(scope, { runId }))?.[0] ?? undefined;

      // The first run is written before the worker starts: its relay's first pass takes it.
      const first = await runs.start(scope, { goal: 'first', enqueue: true });
      pool = await startWorkerPool(worker, {
        relayIntervalMs: neverPollMs,
        sweeper: false,
        scheduler: false,
        concurrency: 2,
      });
      expect(pool.transport).toBe('bullmq');
      await listening(prefix, 1);
      await waitFor(async () => (await jobOf(first.id))?.status === 'done', {
        what: 'the first run’s job to end',
      });

      // Each next run is created once the previous one's job ended: only the writer's announcement can
      // wake the worker's relay for it.
      const timesToStart: number[] = [];
      for (let index = 0; index < 5; index += 1) {
        const created = Date.now();
        const run = await runs.start(scope, { goal: `run ${index}`, enqueue: true });
        await waitFor(async () => (await jobOf(run.id))?.status === 'done', {
          what: `run ${index}’s job to end`,
          timeoutMs: 60_000,
          intervalMs: 10,
        });
        const job = await jobOf(run.id);
        timesToStart.push((job?.startedAt ?? Number.NaN) - created);
        expect(await runs.get(scope, run.id)).toMatchObject({ status: 'succeeded' });
      }
      // For the record: the poll is 10 minutes, each run started in milliseconds.
      console.info(`relay wake-up: time to start of runs created in another process (ms): ${timesToStart}`);
      expect(timesToStart.every((ms) => Number.isFinite(ms) && ms >= 0)).toBe(true);
    });
  });
});
