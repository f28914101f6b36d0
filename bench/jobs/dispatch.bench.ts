/**
 * Dispatch: agent runs of one instant step per second through BullMQ with one `autonoma worker`
 * process, against raw BullMQ no-op jobs per second on the same Redis in the same run.
 *
 * Run: `node bench/jobs/dispatch.bench.ts [--runs 400] [--raw 4000] [--concurrency 10] [--rounds 3]`
 * Both consumers are one long-lived process with the same concurrency, warmed up first: an
 * `autonoma worker`, and a process with one BullMQ Worker whose processor does nothing. A round
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

const cluster = await startCluster({ env: { LOG_LEVEL: 'error' } });
try {
  await bareAgent(cluster);
  const url = cluster.redis?.url ?? '';
  const queue = new Queue('raw', { connection: { url } });
  const rawWorker = spawn(process.execPath, [resolve(import.meta.dirname, 'raw-bullmq-worker.ts')], {
    env: { ...process.env, QUEUE: 'raw', REDIS_URL: url, CONCURRENCY: String(concurrency) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((ready) =>
    rawWorker.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && ready()),
  );
  const worker = cluster.startWorker(['--concurrency', String(concurrency)]);
  await workerReady(worker);
  // Warm-up: both processes compile their hot paths before anything is timed.
  await rawRound(queue, Math.min(raw, 1000));
  await agentRound(cluster, 50, 'warm-up');
  const rawRates: number[] = [];
  const agentRates: number[] = [];
  const perRun: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    rawRates.push(await rawRound(queue, raw));
    const agent = await agentRound(cluster, runs, String(round));
    agentRates.push(agent.perSecond);
    perRun.push(agent.transactions);
  }
  await stopWorkers([worker]);
  rawWorker.kill('SIGTERM');
  await new Promise((done) => rawWorker.on('close', done));
  await queue.obliterate({ force: true });
  await queue.close();
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
          'autonoma worker, runs of one instant step',
          String(runs),
          fixed(median(agentRates), 1),
          agentRates.map((rate) => fixed(rate, 1)).join(', '),
          fixed(median(perRun), 1),
        ],
      ],
    ),
  );
  console.log(`\nagent runs / raw jobs: ${fixed(100 * ratio, 1)} % (target ≥ 50 %)\n`);
  console.log(
    JSON.stringify({
      bench: 'dispatch',
      runs,
      raw,
      concurrency,
      rounds,
      rawRates,
      agentRates,
      transactionsPerRun: perRun,
      ratio,
      environment: await environment(),
    }),
  );
} finally {
  await cluster.close();
}
