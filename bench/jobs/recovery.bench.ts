/**
 * Recovery: SIGKILL a worker mid-run and measure, for each run it was advancing, the time from the
 * kill to that run's next committed step on another worker. Three `autonoma worker` processes on
 * PostgreSQL + Redis share a steady supply of runs (8 tool steps, 100 ms per model call; never more
 * than one worker's slots, so the survivors can take them all); they are killed in turn `--kills`
 * times, each replaced by a new worker that starts while the next one is killed.
 *
 * Run: `node bench/jobs/recovery.bench.ts [--kills 20] [--concurrency 8]`
 */
import { queryRows, sql } from '../../packages/platform/src/store/index.ts';
import {
  environment,
  fixed,
  intFlag,
  median,
  parseFlags,
  percentile,
  startCluster,
  startRuns,
  stopWorkers,
  table,
  workerReady,
  type Cluster,
  type WorkerProcess,
} from './harness.ts';

const flags = parseFlags(process.argv.slice(2), ['postgres']);
const kills = intFlag(flags, 'kills', flags.quick ? 4 : 20);
const concurrency = intFlag(flags, 'concurrency', 8);

/** Runs whose lease the process `pid` holds and that committed a step. */
async function advancing(cluster: Cluster, pid: number): Promise<string[]> {
  const rows = await queryRows(
    cluster.app.database.executor,
    sql`SELECT id FROM runs WHERE lease_owner LIKE ${`%/${pid}/%`} AND lease_expires_at > ${Date.now()}::bigint
          AND step_count >= 1 AND finalized_at IS NULL`,
  );
  return rows.map((row) => String(row.id));
}

/** Each run's first event stored after `since`. */
async function nextCommits(
  cluster: Cluster,
  ids: readonly string[],
  since: number,
): Promise<Map<string, number>> {
  const rows = await queryRows(
    cluster.app.database.executor,
    sql`SELECT run_id, min(at) AS at FROM run_events
        WHERE run_id IN (SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)) AND at > ${since}::bigint
        GROUP BY run_id`,
  );
  return new Map(rows.map((row) => [String(row.run_id), Number(row.at)]));
}

/** The attempt count of the job each run was taken back with (2: its first crash; 3+: it runs alone). */
async function recoveryAttempts(cluster: Cluster, ids: readonly string[], since: number): Promise<number[]> {
  const rows = await queryRows(
    cluster.app.database.executor,
    sql`SELECT run_id, max(attempts)::int AS attempts FROM jobs
        WHERE run_id IN (SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)) AND started_at > ${since}::bigint
        GROUP BY run_id`,
  );
  return rows.map((row) => Number(row.attempts));
}

async function unfinished(cluster: Cluster): Promise<number> {
  const rows = await queryRows(
    cluster.app.database.executor,
    sql`SELECT count(*)::int AS n FROM runs WHERE finalized_at IS NULL`,
  );
  return Number(rows[0]?.n ?? 0);
}

const cluster = await startCluster({ env: { LOG_LEVEL: 'error' } });
const samples: number[] = [];
const perKill: { victims: number; maxMs: number; attempts: number[] }[] = [];
try {
  // Three workers killed in turn: a victim's replacement starts while the next one is killed, so a
  // kill costs the recovery, not a process start (slow on a loaded machine).
  const fleet: { worker: WorkerProcess; ready: Promise<void> }[] = [];
  const spawnWorker = (): { worker: WorkerProcess; ready: Promise<void> } => {
    const worker = cluster.startWorker(['--concurrency', String(concurrency)]);
    return { worker, ready: workerReady(worker) };
  };
  for (let index = 0; index < 3; index += 1) fleet.push(spawnWorker());
  await Promise.all(fleet.map((entry) => entry.ready));
  for (let kill = 0; kill < kills; kill += 1) {
    const index = kill % fleet.length;
    const { worker: victim, ready } = fleet[index] as { worker: WorkerProcess; ready: Promise<void> };
    await ready;
    // Never more runs than one worker has slots: the survivors can take every run of the victim at
    // once, so what is measured is recovery, not a queue behind a saturated worker.
    const open = await unfinished(cluster);
    if (open < concurrency)
      await startRuns(cluster, { count: concurrency - open, goal: '[effects=8] [delay=100] steady' });
    let victims: string[] = [];
    const deadline = Date.now() + 120_000;
    while ((victims = await advancing(cluster, victim.pid)).length === 0) {
      if (Date.now() > deadline) throw new Error('the victim never held a run');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const killedAt = Date.now();
    victim.kill('SIGKILL');
    await victim.done;
    let commits = new Map<string, number>();
    while ((commits = await nextCommits(cluster, victims, killedAt)).size < victims.length) {
      if (Date.now() > killedAt + 120_000) throw new Error('runs did not recover within 120 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const times = [...commits.values()].map((at) => at - killedAt);
    const attempts = await recoveryAttempts(cluster, victims, killedAt);
    samples.push(...times);
    perKill.push({ victims: victims.length, maxMs: Math.max(...times), attempts });
    console.error(
      `kill ${kill + 1}: ${victims.length} run(s) back after ${times.map((ms) => `${ms} ms`).join(', ')} (job attempts ${attempts.join(', ')})`,
    );
    fleet[index] = spawnWorker();
  }
  await Promise.all(fleet.map((entry) => entry.ready));
  const workers = fleet.map((entry) => entry.worker);
  await stopWorkers(workers);
  console.log(`# Recovery: SIGKILL of a worker → next committed step of each of its runs, ${kills} kills\n`);
  console.log(
    table(
      ['kills', 'runs measured', 'p50', 'p95', 'max', 'median of per-kill max', 'target'],
      [
        [
          String(kills),
          String(samples.length),
          `${fixed(percentile(samples, 50) / 1000, 2)} s`,
          `${fixed(percentile(samples, 95) / 1000, 2)} s`,
          `${fixed(Math.max(...samples) / 1000, 2)} s`,
          `${fixed(median(perKill.map((entry) => entry.maxMs)) / 1000, 2)} s`,
          '≤ 10 s',
        ],
      ],
    ),
  );
  console.log(
    `\n${JSON.stringify({ bench: 'recovery', kills, concurrency, samples, perKill, environment: await environment() })}`,
  );
} finally {
  await cluster.close();
}
