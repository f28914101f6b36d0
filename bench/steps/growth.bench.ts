/**
 * Growth: does a step cost the same at step 80 as at step 10? Bytes written per step (bound
 * parameters, from `database.stats()`), row bytes stored per step, statements and time per step, for
 * runs of N = 10 and N = 80 tool steps. A second mode advances the run one step per `runAgent` call
 * (a worker's job slice), which re-reads the run's log and journal at every call.
 *
 * Run: `node bench/steps/growth.bench.ts [--store postgres|pglite|pglite-dir|all] [--quick] [--runs N]`
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
}

/** Wraps the two reads the loop makes at every `runAgent` call, to count what they return. */
function countingReads(bench: BenchStore, read: { bytes: number }): LoopPorts {
  const { runs, toolCalls } = bench.database.stores;
  return {
    runs: {
      ...runs,
      events: async (runId, afterSeq, limit) => {
        const events = await runs.events(runId, afterSeq, limit);
        if (events.length > 0) read.bytes += JSON.stringify(events).length;
        return events;
      },
    },
    toolCalls: {
      ...toolCalls,
      listForRun: async (runId) => {
        const records = await toolCalls.listForRun(runId);
        if (records.length > 0) read.bytes += JSON.stringify(records).length;
        return records;
      },
    },
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
  const before = database.stats();
  const start = performance.now();
  if (mode === 'whole run') {
    assertFinished(await advanceRun(ports, run, lease, agent, brain), steps);
  } else {
    let current = run;
    for (;;) {
      const result = await advanceRun(ports, current, lease, agent, brain, 1);
      current = result.run;
      if (!result.yielded) {
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
  };
}

interface StoreResult {
  store: string;
  label: string;
  samples: Sample[];
}

async function measure(bench: BenchStore): Promise<StoreResult> {
  const agent = await createBenchAgent(bench.database);
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

const pick = (samples: Sample[], mode: Mode, steps: number, field: keyof Omit<Sample, 'mode'>): number =>
  median(
    samples.filter((entry) => entry.mode === mode && entry.steps === steps).map((entry) => entry[field]),
  );

function report(result: StoreResult): string {
  const [small, large] = sizes;
  const fields: { label: string; field: keyof Omit<Sample, 'mode'>; digits: number }[] = [
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
      `**${mode === 'whole run' ? 'One `runAgent` call per run' : 'One `runAgent` call per step (`maxSteps: 1`, like a job slice of one step)'}**\n`,
    );
    lines.push(table(['', `N = ${small}`, `N = ${large}`, `ratio ${large}/${small}`, 'marginal step'], rows));
    lines.push('');
  }
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
