/**
 * The raw BullMQ side of the dispatch benchmark: one process, one BullMQ Worker with a no-op
 * processor on `QUEUE` at `REDIS_URL`, concurrency `CONCURRENCY`. Prints `ready` once listening.
 */
import { Worker } from 'bullmq';

const worker = new Worker(process.env['QUEUE'] ?? 'raw', async () => undefined, {
  connection: { url: process.env['REDIS_URL'] ?? '', maxRetriesPerRequest: null },
  concurrency: Number(process.env['CONCURRENCY'] ?? 10),
  removeOnComplete: { count: 0 },
});
await worker.waitUntilReady();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void worker.close().then(() => process.exit(0));
});
