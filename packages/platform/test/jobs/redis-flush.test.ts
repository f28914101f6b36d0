/**
 * Redis holds no truth: FLUSHALL on a private redis-server after 200 runs were accepted (committed in
 * PostgreSQL with their jobs) loses none of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, workerReady, type Cluster } from './cluster-harness.ts';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
});

describe('Redis FLUSHALL', () => {
  it('after 200 runs were accepted, all 200 still reach a terminal state', async () => {
    const workers = [
      cluster.startWorker(['--concurrency', '8']),
      cluster.startWorker(['--concurrency', '8']),
    ];
    await Promise.all(workers.map(workerReady));
    const ids = await cluster.startRuns(200, '[effects=0] quick');
    // Some jobs are in Redis waiting, some being worked on, some not sent yet: all are lost from Redis.
    await cluster.redis?.command('FLUSHALL');
    const ended = await cluster.waitForEnd(ids, 120_000);
    expect(
      ended.filter((run) => run.status !== 'succeeded').map((run) => `${run.id}: ${run.status}`),
    ).toEqual([]);
    for (const worker of workers) worker.kill('SIGTERM');
    await Promise.all(workers.map((worker) => worker.done));
  }, 180_000);
});
