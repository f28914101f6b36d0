/**
 * A poison run — its tool kills the worker advancing it — fails `stalled` after its job's attempts,
 * while other runs keep flowing through the fleet (killed workers are restarted, as a supervisor would).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, sql } from '../../src/store/index.ts';
import { waitFor } from '../support/wait-for.ts';
import { startCluster, workerReady, type Cluster, type WorkerProcess } from './cluster-harness.ts';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster({ env: { AUTONOMA_JOB_LOCK_MS: '2000' } });
});
afterAll(async () => {
  await cluster?.close();
});

describe('a poison run', () => {
  it('fails stalled after its attempts, and the other runs complete', async () => {
    const pool: WorkerProcess[] = [];
    let restarts = 0;
    let supervising = true;
    const start = (): WorkerProcess => {
      const worker = cluster.startWorker(['--concurrency', '4']);
      pool.push(worker);
      return worker;
    };
    await Promise.all([start(), start()].map(workerReady));
    const supervisor = (async () => {
      while (supervising) {
        for (const [index, worker] of pool.entries()) {
          if (worker.exited() && supervising) {
            pool.splice(index, 1, cluster.startWorker(['--concurrency', '4']));
            restarts += 1;
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    const [poison] = await cluster.startRuns(1, '[poison] eat this');
    const others: string[] = [];
    let endedMeanwhile = 0;
    // Runs keep arriving while the poison run kills workers: a steady supply of a few at a time (a
    // loaded machine must not drown in a backlog that says nothing about the poison run).
    await waitFor(
      async () => {
        const seen = await cluster.runs(others);
        endedMeanwhile = seen.filter((other) => other.finalizedAt !== null).length;
        if (others.length - endedMeanwhile < 6)
          others.push(...(await cluster.startRuns(3, '[effects=1] [delay=100] ordinary')));
        const [run] = await cluster.runs([poison ?? '']);
        return run?.finalizedAt !== null && run?.finalizedAt !== undefined;
      },
      { what: 'the poison run to end', timeoutMs: 400_000, intervalMs: 1000 },
    );
    const [run] = await cluster.runs([poison ?? '']);
    expect(run).toMatchObject({ status: 'failed', reason: 'stalled' });
    // The run is failed first, then its job: wait for the job's end too.
    const jobsOfPoison = () =>
      queryRows(
        cluster.app.database.executor,
        sql`SELECT status, attempts, max_attempts, last_error FROM jobs WHERE run_id = ${poison ?? ''}`,
      );
    await waitFor(async () => (await jobsOfPoison()).every((job) => job.status === 'failed'), {
      what: "the poison run's job to fail",
    });
    const jobs = await jobsOfPoison();
    // One job carried the run: five starts ended with their worker, the sixth gave up.
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ status: 'failed', attempts: 6, max_attempts: 5 });
    expect(String(jobs[0]?.last_error)).toMatch(/^stalled/);
    expect(restarts).toBeGreaterThanOrEqual(5);
    // The fleet kept working meanwhile.
    expect(endedMeanwhile).toBeGreaterThan(0);
    const ended = await cluster.waitForEnd(others, 180_000);
    expect(ended.filter((other) => other.status !== 'succeeded')).toEqual([]);
    console.log(
      `[poison] ${restarts} worker restarts; ${endedMeanwhile} other runs ended while the poison run killed workers, ${others.length} in all, all succeeded`,
    );
    supervising = false;
    await supervisor;
    for (const worker of pool) worker.kill('SIGTERM');
    await Promise.all(pool.map((worker) => worker.done));
  }, 720_000); // worker processes restart slowly on a loaded machine
});
