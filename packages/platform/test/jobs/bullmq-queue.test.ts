import { randomIds, systemClock } from '@autonoma/core';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { checkRedis, createBullmqQueue } from '../../src/jobs/bullmq-queue.ts';
import { createWakeup } from '../../src/jobs/wakeup.ts';
import { createDatabase, queryRows, sql } from '../../src/store/index.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { expectRedisAnswers, sharedRedisUrl, startOwnRedis } from '../support/redis.ts';
import { waitFor } from '../support/wait-for.ts';
import { describeJobQueueContract } from './job-queue.contract.ts';

let postgres: { url: string; drop: () => Promise<void> } | undefined;
let harnesses = 0;
const prefixes: string[] = [];

/** Deletes the keys of the BullMQ queues this file created on the shared Redis. */
async function removeKeys(): Promise<void> {
  const client = new Redis(sharedRedisUrl);
  try {
    for (const prefix of prefixes) {
      const keys = await client.keys(`bull:${prefix}-*`);
      if (keys.length > 0) await client.del(...keys);
    }
  } finally {
    client.disconnect();
  }
}

describeJobQueueContract({
  name: 'BullMQ, PostgreSQL + Redis',
  async setup() {
    await expectRedisAnswers();
    postgres = await createTestDatabase('autonoma_jobs_bullmq');
    const database = await createDatabase({ kind: 'postgres', url: postgres.url });
    await database.migrate();
    await database.close();
  },
  async teardown() {
    await removeKeys();
    await postgres?.drop();
  },
  async open(settings) {
    if (!postgres) throw new Error('no database');
    const prefix = `autonoma-test-${process.pid}-${(harnesses += 1)}`;
    prefixes.push(prefix);
    const database = await createDatabase({ kind: 'postgres', url: postgres.url, poolSize: 8 });
    const queue = createBullmqQueue({
      db: database.executor,
      clock: systemClock,
      ids: randomIds,
      wakeup: createWakeup(),
      redisUrl: sharedRedisUrl,
      prefix,
      stalledIntervalMs: 500,
      ...settings,
    });
    const relay = queue.startRelay({ intervalMs: 50 });
    return {
      queue,
      db: database.executor,
      async dispatched(ids) {
        await waitFor(
          async () => {
            const rows = await queryRows(
              database.executor,
              sql`SELECT count(*)::int AS n FROM jobs
                  WHERE id IN (SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)) AND status = 'pending'`,
            );
            return Number(rows[0]?.n) === 0;
          },
          { what: 'the relay to send the jobs' },
        );
      },
      async close() {
        await relay.stop();
        await queue.close();
        await database.close();
      },
    };
  },
  childEnvironment: () => ({
    QUEUE_ADAPTER: 'bullmq',
    DATABASE_URL: postgres?.url ?? '',
    REDIS_URL: sharedRedisUrl,
    QUEUE_PREFIX: prefixes.at(-1) ?? '',
    QUEUE_LOCK_MS: '1000',
  }),
});

describe('BullMQ queue: what it refuses at start', () => {
  it('names REDIS_URL when Redis does not answer', async () => {
    await expect(checkRedis('redis://127.0.0.1:1')).rejects.toThrow(
      /^cannot reach Redis at REDIS_URL \(redis:\/\/127\.0\.0\.1:1\): /,
    );
  });

  it('refuses a Redis that evicts keys, naming the policy', async () => {
    const redis = await startOwnRedis(['--maxmemory-policy', 'allkeys-lru']);
    try {
      await expect(checkRedis(redis.url)).rejects.toThrow(/maxmemory-policy 'allkeys-lru'.*'noeviction'/);
      await redis.command('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
      await expect(checkRedis(redis.url)).resolves.toBeUndefined();
    } finally {
      await redis.stop();
    }
  });
});

describe('BullMQ queue: Redis loses its jobs', () => {
  it('sends the rows Redis lost again (FLUSHALL between the relay and the consumer)', async () => {
    const redis = await startOwnRedis();
    const database = await createTestDatabase('autonoma_jobs_flush');
    const db = await createDatabase({ kind: 'postgres', url: database.url, poolSize: 4 });
    await db.migrate();
    try {
      await db.executor.execute(
        sql`INSERT INTO organizations (id, name, created_at) VALUES ('org_flush', 'flush', 0) ON CONFLICT DO NOTHING`,
      );
      const queue = createBullmqQueue({
        db: db.executor,
        clock: systemClock,
        ids: randomIds,
        wakeup: createWakeup(),
        redisUrl: redis.url,
        prefix: 'flush',
        defaultOrgCap: 100,
        lockMs: 1000,
        stalledIntervalMs: 500,
      });
      const ids = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          queue.enqueue({ kind: 'test', orgId: 'org_flush', payload: { index } }),
        ),
      );
      expect((await queue.relayOnce()).sent).toBe(20);
      await redis.command('FLUSHALL');
      const seen = new Set<string>();
      const consumer = queue.consume({
        queues: ['normal'],
        concurrency: 4,
        handler: async (job) => {
          seen.add(job.id);
        },
      });
      // Nothing arrives until the reconciliation finds the rows Redis no longer has.
      expect((await queue.relayOnce()).resent).toBe(20);
      await queue.relayOnce();
      await waitFor(() => ids.every(({ id }) => seen.has(id)), { what: 'every job after FLUSHALL' });
      await consumer.close();
      await queue.close();
    } finally {
      await db.close();
      await database.drop();
      await redis.stop();
    }
  });
});
