/**
 * Concurrency: many runs advancing at once in one process, each step waiting on a simulated 50 ms
 * model call (a real timer), on PostgreSQL. Reports wall time and peak RSS.
 *
 * Run: `node bench/steps/concurrency.bench.ts [--quick] [--pool N] [--repeats N] [--counts 1000,10000]
 *        [--runs N] [--steps N] [--latency MS] [--store postgres|pglite] [--url postgres://…]`
 * Without `--runs` it measures 1,000 and 10,000 runs, each measurement in a fresh child process (so
 * `maxRSS` is that measurement's own), and prints Markdown tables and one JSON line. With `--runs N`
 * it performs one measurement in this process and prints its JSON line (add `--cpu-prof` to profile).
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Run, AdvanceRunResult } from '@autonoma/core';
import {
  advanceRun,
  assertFinished,
  counterDelta,
  createBenchAgent,
  createBenchRun,
  environment,
  fixed,
  intFlag,
  leaseRun,
  median,
  openBenchStore,
  parseFlags,
  stepBrain,
  table,
} from './harness.ts';

const flags = parseFlags(process.argv.slice(2), ['postgres']);
const store = flags.stores[0] ?? 'postgres';
const steps = intFlag(flags, 'steps', 5);
const latencyMs = intFlag(flags, 'latency', 50);
const poolSize = intFlag(flags, 'pool', 20);
/** Most runs in flight at once; all of them by default. */
const admit = intFlag(flags, 'admit', Number.MAX_SAFE_INTEGER);
const mb = (bytes: number): number => bytes / 2 ** 20;

/** One measurement, as printed by a child. */
interface Measurement {
  runs: number;
  steps: number;
  latencyMs: number;
  pool: number;
  store: string;
  createMs: number;
  wallMs: number;
  baselineRssMb: number;
  peakRssMb: number;
  peakHeapUsedMb: number;
  maxRssMb: number;
  statements: number;
  commits: number;
  /** Most runs in flight at once (`--admit`); equal to `runs` when all start together. */
  admitted: number;
  /** Runs that threw instead of finishing, and the first error. */
  failed: number;
  firstError: string | null;
  loadAverage: number[];
}

/** Creates `count` runs through the store with `parallel` creations in flight. */
async function createRuns(count: number, parallel: number, create: () => Promise<Run>): Promise<Run[]> {
  const runs: Run[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      runs.push(await create());
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return runs;
}

async function measureOnce(count: number): Promise<Measurement> {
  const bench = await openBenchStore(store, { url: flags.url, poolSize });
  try {
    const { database } = bench;
    const agent = await createBenchAgent(database);
    let mark = performance.now();
    const runs = await createRuns(count, poolSize, () => createBenchRun(database, agent));
    const createMs = performance.now() - mark;
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    let peakHeap = 0;
    const sample = (): void => {
      const usage = process.memoryUsage();
      peak = Math.max(peak, usage.rss);
      peakHeap = Math.max(peakHeap, usage.heapUsed);
    };
    const sampler = setInterval(sample, 10);
    const before = database.stats();
    mark = performance.now();
    // What a worker does per run: take the lease, then run the loop to the end.
    const advance = async (run: Run): Promise<AdvanceRunResult> => {
      const lease = await leaseRun(database, run);
      return advanceRun(database.stores, { run, lease, agent, brain: stepBrain(steps, latencyMs) });
    };
    const settled: PromiseSettledResult<AdvanceRunResult>[] = [];
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < runs.length) {
        const run = runs[next] as Run;
        next += 1;
        settled.push(...(await Promise.allSettled([advance(run)])));
      }
    };
    await Promise.all(Array.from({ length: Math.min(admit, runs.length) }, lane));
    const wallMs = performance.now() - mark;
    clearInterval(sampler);
    sample();
    const counters = counterDelta(before, database.stats());
    let failed = 0;
    let firstError: string | null = null;
    for (const result of settled) {
      if (result.status === 'fulfilled') assertFinished(result.value, steps);
      else {
        failed += 1;
        const reason: unknown = result.reason;
        const cause = reason instanceof Error && reason.cause instanceof Error ? reason.cause.message : '';
        firstError ??= `${reason instanceof Error ? reason.message.split('\n')[0] : String(reason)}${cause ? ` (cause: ${cause})` : ''}`;
      }
    }
    const { loadavg } = await import('node:os');
    return {
      runs: count,
      steps,
      latencyMs,
      pool: poolSize,
      store: bench.label,
      createMs,
      wallMs,
      baselineRssMb: mb(baseline),
      peakRssMb: mb(peak),
      peakHeapUsedMb: mb(peakHeap),
      // Linux reports kilobytes.
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      statements: counters.statements,
      commits: counters.commits,
      admitted: Math.min(admit, count),
      failed,
      firstError,
      loadAverage: loadavg(),
    };
  } finally {
    await bench.close();
  }
}

/** Runs one measurement in a fresh Node process and returns its JSON line. */
function measureInChild(count: number): Promise<Measurement> {
  const args = [
    ...process.execArgv,
    process.argv[1] ?? '',
    '--runs',
    String(count),
    '--steps',
    String(steps),
    '--latency',
    String(latencyMs),
    '--pool',
    String(poolSize),
    '--store',
    store,
    '--url',
    flags.url,
    ...(flags.values.has('admit') ? ['--admit', String(admit)] : []),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = output.trim().split('\n').at(-1) ?? '';
      if (code !== 0) reject(new Error(`child for ${count} runs exited with ${String(code)}: ${output}`));
      else resolve(JSON.parse(line) as Measurement);
    });
  });
}

if (flags.values.has('runs')) {
  console.log(JSON.stringify(await measureOnce(intFlag(flags, 'runs', 1000))));
} else {
  const counts = (flags.values.get('counts') ?? '1000,10000').split(',').map(Number);
  const repeats = intFlag(flags, 'repeats', flags.quick ? 2 : 7);
  // Ten times the runs take about ten times as long: fewer repeats for the big measurement.
  const plan = counts.map((runs) => ({
    runs,
    repeats: runs > 1000 ? Math.max(1, Math.ceil(repeats / 2)) : repeats,
  }));
  const measured: Measurement[] = [];
  for (const { runs, repeats } of plan) {
    for (let index = 0; index < repeats; index += 1) measured.push(await measureInChild(runs));
  }
  const floorMs = (steps + 1) * latencyMs;
  const rows = plan.map(({ runs }) => {
    const of = measured.filter((entry) => entry.runs === runs);
    const pick = (field: keyof Measurement): number => median(of.map((entry) => Number(entry[field])));
    const walls = of.map((entry) => entry.wallMs);
    return [
      runs.toLocaleString('en-US'),
      String(of.length),
      fixed(pick('createMs'), 0),
      `**${fixed(pick('wallMs'), 0)}**`,
      `${fixed(Math.min(...walls), 0)}–${fixed(Math.max(...walls), 0)}`,
      fixed((pick('wallMs') / floorMs) * 1, 2),
      fixed(pick('baselineRssMb'), 0),
      `**${fixed(pick('peakRssMb'), 0)}**`,
      fixed(pick('maxRssMb'), 0),
      fixed(pick('peakHeapUsedMb'), 0),
      fixed(pick('statements') / runs, 1),
      fixed(pick('statements') / (pick('wallMs') / 1000), 0),
      `${fixed(pick('failed'), 0)}${of.find((entry) => entry.firstError)?.firstError ? ` — ${of.find((entry) => entry.firstError)?.firstError ?? ''}` : ''}`,
    ];
  });
  const first = measured[0];
  console.log(
    `### Concurrency — ${first?.store ?? store}, ${steps} tool steps + the finishing step per run, ${latencyMs} ms per model call\n`,
  );
  console.log(
    `Every decision (${steps + 1} per run) waits ${latencyMs} ms on a real timer, so no run can finish in under ${floorMs} ms. Wall = lease + loop for all runs${flags.values.has('admit') ? ` with at most ${admit} in flight` : ' at once'} (creation excluded). Each measurement in a fresh process; medians.\n`,
  );
  console.log(
    table(
      [
        'runs',
        'measurements',
        'create (ms)',
        'wall (ms)',
        'wall range',
        'wall ÷ latency floor',
        'RSS before (MB)',
        'peak RSS sampled (MB)',
        'maxRSS (MB)',
        'peak heap used (MB)',
        'statements/run',
        'statements/s',
        'failed runs',
      ],
      rows,
    ),
  );
  const env = await environment();
  console.log(
    `\nLoad average at the end: ${(env.loadAverage as number[]).join(', ')} (${String(env.cpus)} CPUs).\n`,
  );
  console.log(JSON.stringify({ bench: 'concurrency', env, measured }));
}
