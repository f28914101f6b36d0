/**
 * The local queue on PostgreSQL without Redis, shared by several processes: a job one process writes
 * wakes the consumers of another over LISTEN/NOTIFY. Every consumer here polls only every 10 minutes,
 * so a job that runs was claimed because of the notification: without it these tests time out. Each
 * "process" is its own database pool, queue and channel (its own listening connection).
 */
import { randomIds, systemClock, type Job, type JobQueue } from '@autonoma/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalQueue } from '../../src/jobs/local-queue.ts';
import { createPgWakeChannel, pgWakeChannelName } from '../../src/jobs/pg-wake-channel.ts';
import { createWakeup } from '../../src/jobs/wakeup.ts';
import { createDatabase, queryRows, sql, type Database } from '../../src/store/index.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { waitFor } from '../support/wait-for.ts';

/** Longer than any test here: a consumer that claims did so because it was woken. */
const neverPollMs = 600_000;

let postgres: { url: string; drop: () => Promise<void> } | undefined;
const opened: { database: Database; queue: JobQueue }[] = [];

beforeAll(async () => {
  postgres = await createTestDatabase('autonoma_local_wake');
  const database = await createDatabase({ kind: 'postgres', url: postgres.url });
  await database.migrate();
  await database.executor.execute(
    sql`INSERT INTO organizations (id, name, created_at) VALUES ('org_wake', 'wake', 0) ON CONFLICT DO NOTHING`,
  );
  await database.close();
});

afterAll(async () => {
  for (const { queue, database } of opened.splice(0)) {
    await queue.close();
    await database.close();
  }
  await postgres?.drop();
});

/** One process's view: its pool, and its local queue with a PostgreSQL wake channel. */
async function open(prefix: string): Promise<{ database: Database; queue: JobQueue }> {
  const url = postgres?.url ?? '';
  const database = await createDatabase({ kind: 'postgres', url, poolSize: 2 });
  const queue = createLocalQueue({
    db: database.executor,
    clock: systemClock,
    ids: randomIds,
    wakeup: createWakeup(),
    wakeChannel: createPgWakeChannel({ db: database.executor, url, prefix }),
    defaultOrgCap: 100,
    pollMs: neverPollMs,
  });
  opened.push({ database, queue });
  return { database, queue };
}

/** The backends listening on the channel of `prefix`, as PostgreSQL reports them. */
async function listeners(database: Database, prefix: string): Promise<number[]> {
  const rows = await queryRows(
    database.executor,
    sql`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = ${`LISTEN "${pgWakeChannelName(prefix)}"`}`,
  );
  return rows.map((row) => Number(row.pid));
}

const job = (n: number) => ({ kind: 'noop', orgId: 'org_wake', payload: { n } });

describe('local queue on PostgreSQL: wake-ups across processes', () => {
  it('a job written by one process is claimed by the idle consumer of another, also after its listening connection was cut', async () => {
    const prefix = `wake-${process.pid}`;
    const writer = await open(prefix);
    const consumer = await open(prefix);
    const handled: { n: unknown; at: number }[] = [];
    consumer.queue.consume({
      queues: ['normal'],
      concurrency: 2,
      handler: async (held: Job) => {
        handled.push({ n: held.payload['n'], at: Date.now() });
      },
    });
    // The consumer's first claim found nothing; from now on it only waits (10 minutes) or is woken.
    await waitFor(async () => (await listeners(writer.database, prefix)).length === 1, {
      what: 'the consumer to listen',
    });

    const writtenAt = Date.now();
    await writer.queue.enqueue(job(1));
    await waitFor(() => handled.length === 1, { what: 'the woken consumer to run the first job' });
    expect(handled[0]?.n).toBe(1);
    console.log(`[local-queue-wake] written → handled in another process: ${handled[0]!.at - writtenAt} ms`);

    // Its listening connection is cut: it reconnects, listens again and looks once (it may have missed one).
    const [before] = await listeners(writer.database, prefix);
    await writer.database.executor.execute(sql`SELECT pg_terminate_backend(${before ?? 0}::int)`);
    await waitFor(
      async () => {
        const now = await listeners(writer.database, prefix);
        return now.length === 1 && now[0] !== before;
      },
      { what: 'the consumer to listen again on a new connection' },
    );
    await writer.queue.enqueue(job(2));
    await waitFor(() => handled.length === 2, { what: 'the consumer to run the second job' });
    expect(handled.map((entry) => entry.n)).toEqual([1, 2]);
  });

  it('a process that only writes opens no listening connection; its job waits, pending, for a consumer', async () => {
    const prefix = `wake-only-${process.pid}`;
    const writer = await open(prefix);
    await writer.queue.enqueue(job(3));
    expect(await listeners(writer.database, prefix)).toEqual([]);
    const rows = await queryRows(
      writer.database.executor,
      sql`SELECT status FROM jobs WHERE payload->>'n' = '3'`,
    );
    expect(rows.map((row) => row.status)).toEqual(['pending']);
  });
});
