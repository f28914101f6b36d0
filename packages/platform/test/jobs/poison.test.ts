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

/** Two workers, each restarted when it dies, as a supervisor (systemd, Kubernetes) would. */
async function supervisedPool(): Promise<{ restarts(): number; stop(): Promise<void> }> {
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
  return {
    restarts: () => restarts,
    async stop() {
      supervising = false;
      await supervisor;
      for (const worker of pool) worker.kill('SIGTERM');
      await Promise.all(pool.map((worker) => worker.done));
    },
  };
}

describe('a poison run', () => {
  it('fails stalled after its attempts, and the other runs complete', async () => {
    const pool = await supervisedPool();

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
    expect(pool.restarts()).toBeGreaterThanOrEqual(5);
    // The fleet kept working meanwhile.
    expect(endedMeanwhile).toBeGreaterThan(0);
    const ended = await cluster.waitForEnd(others, 180_000);
    expect(ended.filter((other) => other.status !== 'succeeded')).toEqual([]);
    console.log(
      `[poison] ${pool.restarts()} worker restarts; ${endedMeanwhile} other runs ended while the poison run killed workers, ${others.length} in all, all succeeded`,
    );
    await pool.stop();
  }, 720_000); // worker processes restart slowly on a loaded machine

  it('is not a run that kills its worker at every step but commits each: it outlives more crashes than attempts', async () => {
    const pool = await supervisedPool();
    // Each of its 7 steps kills the worker once (after its effect is applied); the resumed step
    // re-sends the effect under its key and commits. 7 crashes > 5 attempts of one job.
    const [runId] = await cluster.startRuns(1, '[kill-each-step] [effects=7] outlive the workers');
    const [run] = await cluster.waitForEnd([runId ?? ''], 600_000);
    expect(run).toMatchObject({ status: 'succeeded' });
    const kills = cluster.effectRequests.filter(
      (request) => request.path.startsWith('/kill-once/') && request.key.startsWith(`${runId}:`),
    );
    // Every effect was sent twice: once before the kill, once by the resumed step under the same key.
    expect(new Set(kills.map((request) => request.key)).size).toBe(7);
    expect(kills).toHaveLength(14);
    expect(pool.restarts()).toBeGreaterThanOrEqual(7);
    const jobs = await queryRows(
      cluster.app.database.executor,
      sql`SELECT status, attempts FROM jobs WHERE run_id = ${runId ?? ''} ORDER BY created_at`,
    );
    // A slice that outlived a crash went one step and yielded to a new job: no job counted two crashes.
    expect(jobs.every((job) => Number(job.attempts) <= 2)).toBe(true);
    expect(jobs.filter((job) => Number(job.attempts) === 2).length).toBeGreaterThanOrEqual(7);
    await pool.stop();
  }, 720_000);
});
