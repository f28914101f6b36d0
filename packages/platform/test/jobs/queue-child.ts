/**
 * A consumer in a process of its own, for the contract's SIGKILL test. Environment: QUEUE_ADAPTER
 * (`local` | `bullmq`), DATABASE_URL, REDIS_URL (bullmq), QUEUE_PREFIX (bullmq), QUEUE_LOCK_MS.
 * Prints `start <id> <attempt>` when a job starts, `done <id>` when it ends, `stalled <id>` for a
 * poison job. Payload `mode`: `quick` ends at once, `hang` never ends, `hang-once` hangs on its first
 * attempt only.
 */
import { randomIds, systemClock, type JobHandler, type JobQueue } from '@autonoma/core';
import { createLocalQueue } from '../../src/jobs/local-queue.ts';
import { createWakeup } from '../../src/jobs/wakeup.ts';
import { createDatabase } from '../../src/store/index.ts';

const env = process.env;
const database = await createDatabase({ kind: 'postgres', url: env['DATABASE_URL'] ?? '', poolSize: 4 });
const lockMs = Number(env['QUEUE_LOCK_MS'] ?? 1000);
const wakeup = createWakeup();
const common = {
  db: database.executor,
  clock: systemClock,
  ids: randomIds,
  wakeup,
  defaultOrgCap: 100,
  lockMs,
};

let queue: JobQueue;
if (env['QUEUE_ADAPTER'] === 'bullmq') {
  const { createBullmqQueue } = await import('../../src/jobs/bullmq-queue.ts');
  const bullmq = createBullmqQueue({
    ...common,
    redisUrl: env['REDIS_URL'] ?? '',
    prefix: env['QUEUE_PREFIX'] ?? 'autonoma',
    stalledIntervalMs: 500,
  });
  bullmq.startRelay({ intervalMs: 100 });
  queue = bullmq;
} else {
  queue = createLocalQueue({ ...common, pollMs: 100 });
}

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const forever = new Promise<void>(() => undefined);
const handler: JobHandler = async (job) => {
  print(`start ${job.id} ${job.attempt}`);
  const mode = job.payload['mode'];
  if (mode === 'hang' || (mode === 'hang-once' && job.attempt === 1)) await forever;
  print(`done ${job.id}`);
};
queue.consume({
  queues: ['critical', 'high', 'normal', 'low'],
  concurrency: 4,
  handler,
  onStalled: async (job) => print(`stalled ${job.id}`),
});
print('ready');
