/**
 * Dispatch: agent runs of one instant step per second through BullMQ with one `autonoma worker`
 * process, against raw BullMQ no-op jobs per second on the same Redis in the same run.
 *
 * Run: `node bench/jobs/dispatch.bench.ts [--runs 400] [--raw 4000] [--concurrency 10] [--rounds 3]`
 * Both sides are drained from a ready backlog: the runs (and their jobs) are stored first, then the
 * worker starts and the clock runs from its registration to the last run finalized; the raw jobs are
 * added first (`addBulk`), then a process with one BullMQ Worker (same concurrency) starts and the
 * clock runs from its `ready` to the last job completed. Rounds alternate raw and agent.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { Queue } from 'bullmq';
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
const runs = intFlag(flags, 'runs', 400);
const raw = intFlag(flags, 'raw', 4000);
const concurrency = intFlag(flags, 'concurrency', 10);
const rounds = intFlag(flags, 'rounds', flags.quick ? 1 : 3);

/** Raw BullMQ: `count` no-op jobs drained by one worker process. Returns jobs per second. */
async function measureRaw(cluster: Cluster, round: number): Promise<number> {
  const url = cluster.redis?.url ?? '';
  const name = `raw-${round}`;
  const queue = new Queue(name, { connection: { url } });
  for (let start = 0; start < raw; start += 1000)
    await queue.addBulk(
      Array.from({ length: Math.min(1000, raw - start) }, (_, index) => ({
        name: 'noop',
        data: { index: start + index },
        opts: { removeOnComplete: true },
      })),
    );
  const child = spawn(process.execPath, [resolve(import.meta.dirname, 'raw-bullmq-worker.ts')], {
    env: { ...process.env, QUEUE: name, REDIS_URL: url, CONCURRENCY: String(concurrency) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((ready) => child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && ready()));
  const started = performance.now();
  for (;;) {
    const counts = await queue.getJobCounts('wait', 'active', 'prioritized', 'delayed');
    if (Object.values(counts).every((count) => count === 0)) break;
    await new Promise((done) => setTimeout(done, 5));
  }
  const seconds = (performance.now() - started) / 1000;
  child.kill('SIGTERM');
  await new Promise((done) => child.on('close', done));
  await queue.obliterate({ force: true });
  await queue.close();
  return raw / seconds;
}

/** Agent runs of one instant step drained by one `autonoma worker`. Returns runs per second. */
async function measureAgent(cluster: Cluster, round: number): Promise<{ perSecond: number; statementsPerRun: number }> {
  const ids = await startRuns(cluster, { count: runs, goal: `instant ${round}`, agent: 'bare' });
  const worker = cluster.startWorker(['--concurrency', String(concurrency)]);
  await workerReady(worker);
  const started = Date.now();
  const before = await statements(cluster);
  const last = await waitAllFinalized(cluster, ids);
  const after = await statements(cluster);
  await stopWorkers([worker]);
  return { perSecond: runs / ((last - started) / 1000), statementsPerRun: (after - before) / runs };
}

/** Statements PostgreSQL committed or rolled back in the benchmark's database so far. */
async function statements(cluster: Cluster): Promise<number> {
  const { queryRows, sql } = await import('../../packages/platform/src/store/index.ts');
  const rows = await queryRows(
    cluster.app.database.executor,
    sql`SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()`,
  );
  return Number(rows[0]?.n ?? 0);
}

const cluster = await startCluster({ env: { LOG_LEVEL: 'error' } });
try {
  await bareAgent(cluster);
  const rawRates: number[] = [];
  const agentRates: number[] = [];
  const transactions: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    rawRates.push(await measureRaw(cluster, round));
    const agent = await measureAgent(cluster, round);
    agentRates.push(agent.perSecond);
    transactions.push(agent.statementsPerRun);
  }
  const ratio = median(agentRates) / median(rawRates);
  console.log(`# Dispatch: one worker process, concurrency ${concurrency}, ${rounds} interleaved rounds\n`);
  console.log(
    table(
      ['side', 'items per round', 'per second (median)', 'per round', 'PostgreSQL transactions per item'],
      [
        ['raw BullMQ, no-op jobs', String(raw), fixed(median(rawRates), 0), rawRates.map((rate) => fixed(rate, 0)).join(', '), '0'],
        ['agent runs, one instant step', String(runs), fixed(median(agentRates), 1), agentRates.map((rate) => fixed(rate, 1)).join(', '), fixed(median(transactions), 1)],
      ],
    ),
  );
  console.log(`\nagent / raw: ${fixed(100 * ratio, 1)} % (target ≥ 50 %)\n`);
  console.log(
    JSON.stringify({ bench: 'dispatch', runs, raw, concurrency, rounds, rawRates, agentRates, transactionsPerRun: transactions, ratio, environment: await environment() }),
  );
} finally {
  await cluster.close();
}
