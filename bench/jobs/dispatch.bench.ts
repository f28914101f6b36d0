/**
 * Dispatch: agent runs of one instant step per second through BullMQ with one `autonoma worker`
 * process, against raw BullMQ no-op jobs per second on the same Redis in the same run.
 *
 * Run: `node bench/jobs/dispatch.bench.ts [--runs 400] [--raw 4000] [--concurrency 10] [--rounds 3]`
 * Every consumer is one long-lived process with the same concurrency, warmed up first: an
 * `autonoma worker`, a process with one BullMQ Worker whose processor does nothing (the floor the
 * target names), and one whose processor commits one PostgreSQL transaction per job (what the least
 * durable work costs on this machine: a reference, not the target). A round
 * submits a batch and times it from the first submission to the last item done: for raw BullMQ,
 * `addBulk` of no-op jobs until the queue is empty; for agent runs, runs started for the queue (each
 * stored with its job, as the API does) until the last is finalized. The agent's runs are one instant
 * step: an agent with no tools, whose model (the loopback fixture) answers at once. Rounds alternate.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { Queue } from 'bullmq';
import { queryRows, sql } from '../../packages/platform/src/store/index.ts';
import {
  bareAgent,
  environment,
  fixed,
  intFlag,
  median,
  parseFlags,
  startCluster,
  startRuns,
  stopWorkers,
  table,
  waitAllFinalized,
  workerReady,
  type Cluster,
} from './harness.ts';

const flags = parseFlags(process.argv.slice(2), ['postgres']);
const runs = intFlag(flags, 'runs', flags.quick ? 100 : 400);
const raw = intFlag(flags, 'raw', flags.quick ? 1000 : 4000);
const concurrency = intFlag(flags, 'concurrency', 10);
const rounds = intFlag(flags, 'rounds', flags.quick ? 1 : 3);

/** Transactions PostgreSQL committed or rolled back in the benchmark's database so far. */
async function transactions(cluster: Cluster): Promise<number> {
  const rows = await queryRows(
    cluster.app.database.executor,
    sql`SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()`,
  );
  return Number(rows[0]?.n ?? 0);
}

/** Raw BullMQ: `count` no-op jobs through the raw worker. Returns jobs per second. */
async function rawRound(queue: Queue, count: number): Promise<number> {
  const started = performance.now();
  for (let start = 0; start < count; start += 1000)
    await queue.addBulk(
      Array.from({ length: Math.min(1000, count - start) }, (_, index) => ({
        name: 'noop',
        data: { index: start + index },
        opts: { removeOnComplete: true },
      })),
    );
  for (;;) {
    const counts = await queue.getJobCounts('wait', 'active', 'prioritized', 'delayed');
    if (Object.values(counts).every((value) => value === 0)) break;
    await new Promise((done) => setTimeout(done, 2));
  }
  return count / ((performance.now() - started) / 1000);
}

/** Agent runs of one instant step through the worker. Returns runs per second and transactions per run. */
async function agentRound(
  cluster: Cluster,
  count: number,
  label: string,
): Promise<{ perSecond: number; transactions: number }> {
  const before = await transactions(cluster);
  const started = Date.now();
  const ids = await startRuns(cluster, { count, goal: `instant ${label}`, agent: 'bare' });
  const last = await waitAllFinalized(cluster, ids);
  const after = await transactions(cluster);
  return { perSecond: count / ((last - started) / 1000), transactions: (after - before) / count };
}

/** Starts a raw BullMQ worker process on `name` (durable: one PostgreSQL commit per job). */
async function rawWorkerProcess(cluster: Cluster, name: string, durable: boolean) {
  const url = cluster.redis?.url ?? '';
  const child = spawn(process.execPath, [resolve(import.meta.dirname, 'raw-bullmq-worker.ts')], {
    env: {
      ...process.env,
      QUEUE: name,
      REDIS_URL: url,
      CONCURRENCY: String(concurrency),
      ...(durable ? { DATABASE_URL: cluster.env['DATABASE_URL'] ?? '' } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((ready) =>
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && ready()),
  );
  return { queue: new Queue(name, { connection: { url } }), child };
}

const cluster = await startCluster({ env: { LOG_LEVEL: 'error' } });
try {
  await bareAgent(cluster);
  await cluster.app.database.executor.execute(sql`CREATE TABLE dispatch_durable (id text PRIMARY KEY)`);
  const noop = await rawWorkerProcess(cluster, 'raw', false);
  const durable = await rawWorkerProcess(cluster, 'durable', true);
  const worker = cluster.startWorker(['--concurrency', String(concurrency)]);
  await workerReady(worker);
  // Warm-up: every process compiles its hot paths before anything is timed.
  await rawRound(noop.queue, Math.min(raw, 1000));
  await rawRound(durable.queue, Math.min(raw, 1000));
  await agentRound(cluster, 50, 'warm-up');
  const rawRates: number[] = [];
  const durableRates: number[] = [];
  const agentRates: number[] = [];
  const perRun: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    rawRates.push(await rawRound(noop.queue, raw));
    durableRates.push(await rawRound(durable.queue, raw));
    const agent = await agentRound(cluster, runs, String(round));
    agentRates.push(agent.perSecond);
    perRun.push(agent.transactions);
  }
  await stopWorkers([worker]);
  for (const { queue, child } of [noop, durable]) {
    child.kill('SIGTERM');
    await new Promise((done) => child.on('close', done));
    await queue.obliterate({ force: true });
    await queue.close();
  }
  const ratio = median(agentRates) / median(rawRates);
  console.log(
    `# Dispatch: one worker process each, concurrency ${concurrency}, ${rounds} interleaved rounds\n`,
  );
  console.log(
    table(
      [
        'consumer',
        'items per round',
        'per second (median)',
        'each round',
        'PostgreSQL transactions per item',
      ],
      [
        [
          'raw BullMQ worker, no-op jobs',
          String(raw),
          fixed(median(rawRates), 0),
          rawRates.map((rate) => fixed(rate, 0)).join(', '),
          '0',
        ],
        [
          'raw BullMQ worker, one PostgreSQL commit per job',
          String(raw),
          fixed(median(durableRates), 0),
          durableRates.map((rate) => fixed(rate, 0)).join(', '),
          '1',
        ],
        [
          'autonoma worker, runs of one instant step',
          String(runs),
          fixed(median(agentRates), 1),
          agentRates.map((rate) => fixed(rate, 1)).join(', '),
          fixed(median(perRun), 1),
        ],
      ],
    ),
  );
  console.log(`\nagent runs / raw jobs: ${fixed(100 * ratio, 1)} % (target ≥ 50 %)`);
  console.log(
    `jobs committing one transaction / raw jobs: ${fixed((100 * median(durableRates)) / median(rawRates), 1)} %; agent runs / those: ${fixed((100 * median(agentRates)) / median(durableRates), 1)} %\n`,
  );
  console.log(
    JSON.stringify({
      bench: 'dispatch',
      runs,
      raw,
      concurrency,
      rounds,
      rawRates,
      durableRates,
      agentRates,
      transactionsPerRun: perRun,
      ratio,
      environment: await environment(),
    }),
  );
} finally {
  await cluster.close();
}
