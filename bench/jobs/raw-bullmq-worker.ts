/**
 * The raw BullMQ side of the dispatch benchmark: one process, one BullMQ Worker on `QUEUE` at
 * `REDIS_URL`, concurrency `CONCURRENCY`. Its processor does nothing — or, with `DATABASE_URL`, commits
 * one PostgreSQL transaction per job (an insert into `dispatch_durable`, pool of `CONCURRENCY`): the
 * least a job that keeps anything durable pays. Prints `ready` once listening.
 */
import { Worker } from 'bullmq';
import pg from 'pg';

const concurrency = Number(process.env['CONCURRENCY'] ?? 10);
const url = process.env['DATABASE_URL'];
const pool = url ? new pg.Pool({ connectionString: url, max: concurrency }) : undefined;
const worker = new Worker(
  process.env['QUEUE'] ?? 'raw',
  async (job) => {
    await pool?.query('INSERT INTO dispatch_durable (id) VALUES ($1)', [job.id]);
  },
  {
    connection: { url: process.env['REDIS_URL'] ?? '', maxRetriesPerRequest: null },
    concurrency,
    removeOnComplete: { count: 0 },
  },
);
await worker.waitUntilReady();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void worker
    .close()
    .then(() => pool?.end())
    .then(() => process.exit(0));
});
