/**
 * Growth: does a step cost the same at step 80 as at step 10? Bytes written per step (bound
 * parameters, from `database.stats()`), row bytes stored per step, statements and time per step, for
 * runs of N = 10 and N = 80 tool steps. A second mode advances the run one step per slice (a worker's
 * job): each slice reads the run row (with its bounded context), the events appended since, and the
 * step's pending calls — never the whole log or journal.
 *
 * Run: `node bench/steps/growth.bench.ts [--store postgres|pglite|pglite-dir|all] [--quick] [--runs N]
 * [--working-tokens T]`
 * Prints Markdown tables and one JSON line.
 */
import { performance } from 'node:perf_hooks';
import { sql } from '../../packages/platform/src/store/sql.ts';
import type { Agent } from '@autonoma/core';
import { queryRows } from '../../packages/platform/src/store/driver.ts';
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
  type BenchStore,
  type LoopPorts,
} from './harness.ts';

const flags = parseFlags(process.argv.slice(2), ['postgres', 'pglite']);
const sizes = [10, 80] as const;
const runsPerSize = intFlag(flags, 'runs', flags.quick ? 3 : 10);
// The agent's working-memory budget in tokens (default: the agent default, 8000). A slice reads the
// events of the window this budget bounds: below the bound reads grow with the run, past it they stay flat.
const workingTokens = flags.values.has('working-tokens') ? intFlag(flags, 'working-tokens', 8000) : undefined;
const warmup = 2;

type Mode = 'whole run' | 'one step per call';

interface Sample {
  mode: Mode;
  steps: number;
  msPerStep: number;
  statementsPerStep: number;
  commitsPerStep: number;
  bytesPerStep: number;
  storedBytesPerStep: number;
  /** JSON bytes of events and journal records read back by the loop, per step. */
  readBytesPerStep: number;
  /** One-step slices: JSON bytes each slice read (the run row, the window's events, pending calls). */
  sliceReads: number[];
}

/** Wraps the reads a slice makes (the run row, appended events, the step's pending calls) to count them. */
function countingReads(bench: BenchStore, read: { bytes: number }): LoopPorts {
  const { runs, toolCalls } = bench.database.stores;
  const counted = <T>(value: T): T => {
    const size = JSON.stringify(value)?.length ?? 0;
    if (size > 2) read.bytes += size;
    return value;
  };
  return {
    runs: new Proxy(runs, {
      get: (target, property) => {
        if (property === 'events')
          return async (...args: Parameters<typeof runs.events>) => counted(await target.events(...args));
        if (property === 'get')
          return async (...args: Parameters<typeof runs.get>) => counted(await target.get(...args));
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }),
    toolCalls: new Proxy(toolCalls, {
      get: (target, property) => {
        if (property === 'pending')
          return async (...args: Parameters<typeof toolCalls.pending>) =>
            counted(await target.pending(...args));
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }),
  };
}

async function storedBytes(bench: BenchStore, runId: string): Promise<number> {
  const rows = await queryRows(
    bench.database.executor,
    sql`SELECT (SELECT coalesce(sum(pg_column_size(e.*)), 0) FROM run_events e WHERE e.run_id = ${runId})
             + (SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM tool_calls t WHERE t.run_id = ${runId}) AS bytes`,
  );
  return Number(rows[0]?.bytes ?? 0);
}

async function sample(bench: BenchStore, agent: Agent, steps: number, mode: Mode): Promise<Sample> {
  const { database } = bench;
  const read = { bytes: 0 };
  const ports = countingReads(bench, read);
  const run = await createBenchRun(database, agent);
  const lease = await leaseRun(database, run);
  const brain = stepBrain(steps);
  const sliceReads: number[] = [];
  const before = database.stats();
  const start = performance.now();
  if (mode === 'whole run') {
    assertFinished(await advanceRun(ports, { run, lease, agent, brain }), steps);
  } else {
    for (;;) {
      const readBefore = read.bytes;
      // Like a worker taking the next slice: the run is read from the store, then advanced one step.
      const current = await ports.runs.get(run.orgId, run.id);
      if (current === undefined) throw new Error(`run ${run.id} vanished`);
      const result = await advanceRun(ports, { run: current, lease, agent, brain, sliceSteps: 1 });
      sliceReads.push(read.bytes - readBefore);
      if (result.end !== 'yielded') {
        assertFinished(result, steps);
        break;
      }
    }
  }
  const ms = performance.now() - start;
  const counters = counterDelta(before, database.stats());
  return {
    mode,
    steps,
    msPerStep: ms / steps,
    statementsPerStep: counters.statements / steps,
    commitsPerStep: counters.commits / steps,
    bytesPerStep: counters.bytesWritten / steps,
    storedBytesPerStep: (await storedBytes(bench, run.id)) / steps,
    readBytesPerStep: read.bytes / steps,
    sliceReads,
  };
}

interface StoreResult {
  store: string;
  label: string;
  samples: Sample[];
}

async function measure(bench: BenchStore): Promise<StoreResult> {
  const agent = await createBenchAgent(bench.database, workingTokens);
  const samples: Sample[] = [];
  for (let round = 0; round < warmup + runsPerSize; round += 1) {
    for (const mode of ['whole run', 'one step per call'] as const) {
      for (const steps of sizes) {
        const result = await sample(bench, agent, steps, mode);
        if (round >= warmup) samples.push(result);
      }
    }
  }
  return { store: bench.kind, label: bench.label, samples };
}

type NumericField = Exclude<keyof Sample, 'mode' | 'sliceReads'>;

/** Median bytes read by the slice that advanced step `step` of the N = `steps` runs. */
const sliceRead = (samples: Sample[], steps: number, step: number): number =>
  median(
    samples
      .filter((entry) => entry.mode === 'one step per call' && entry.steps === steps)
      .map((entry) => entry.sliceReads[step - 1] ?? 0),
  );

const pick = (samples: Sample[], mode: Mode, steps: number, field: NumericField): number =>
  median(
    samples.filter((entry) => entry.mode === mode && entry.steps === steps).map((entry) => entry[field]),
  );

function report(result: StoreResult): string {
  const [small, large] = sizes;
  const fields: { label: string; field: NumericField; digits: number }[] = [
    { label: 'parameter bytes written/step', field: 'bytesPerStep', digits: 0 },
    { label: 'row bytes stored/step (events + journal)', field: 'storedBytesPerStep', digits: 0 },
    { label: 'statements/step', field: 'statementsPerStep', digits: 2 },
    { label: 'commits/step', field: 'commitsPerStep', digits: 2 },
    { label: 'bytes read back by the loop/step', field: 'readBytesPerStep', digits: 0 },
    { label: 'ms/step', field: 'msPerStep', digits: 3 },
  ];
  const lines = [`### Growth — ${result.label}\n`];
  lines.push(
    `${runsPerSize} runs per size and mode (medians). N tool steps + the finishing step; per step = total ÷ N. Marginal = (total at ${large} − total at ${small}) ÷ ${large - small}.\n`,
  );
  for (const mode of ['whole run', 'one step per call'] as const) {
    const rows = fields.map(({ label, field, digits }) => {
      const a = pick(result.samples, mode, small, field);
      const b = pick(result.samples, mode, large, field);
      const marginal = (b * large - a * small) / (large - small);
      return [label, fixed(a, digits), fixed(b, digits), a > 0 ? fixed(b / a) : '—', fixed(marginal, digits)];
    });
    lines.push(
      `**${mode === 'whole run' ? 'One `advanceRun` call per run' : 'One slice per step (`sliceSteps: 1`, the run read from the store before each slice, like a worker)'}**\n`,
    );
    lines.push(table(['', `N = ${small}`, `N = ${large}`, `ratio ${large}/${small}`, 'marginal step'], rows));
    lines.push('');
  }
  const at10 = sliceRead(result.samples, large, small);
  const at80 = sliceRead(result.samples, large, large);
  lines.push(
    `**Bytes one slice reads, in a run of ${large} one-step slices** (working memory ${workingTokens ?? 8000} tokens)\n`,
  );
  lines.push(
    table(
      ['', `slice ${small}`, `slice ${large}`, `ratio ${large}/${small}`],
      [['bytes read by the slice', fixed(at10, 0), fixed(at80, 0), at10 > 0 ? fixed(at80 / at10) : '—']],
    ),
  );
  lines.push('');
  return lines.join('\n');
}

const results: StoreResult[] = [];
for (const kind of flags.stores) {
  const bench = await openBenchStore(kind, { url: flags.url });
  try {
    results.push(await measure(bench));
  } finally {
    await bench.close();
  }
  console.log(report(results.at(-1) as StoreResult));
}
const env = await environment();
console.log(
  `Load average at the end: ${(env.loadAverage as number[]).join(', ')} (${String(env.cpus)} CPUs).\n`,
);
console.log(JSON.stringify({ bench: 'growth', env, sizes, results }));
