/**
 * Step overhead: what the platform adds per durable step, against a bare floor of one autocommit
 * INSERT per step through the same driver and pool.
 *
 * Run: `node bench/steps/overhead.bench.ts [--store postgres|pglite|pglite-dir|all] [--quick]
 *        [--rounds N] [--pool N] [--url postgres://…]`
 * Each round runs the floor (20 INSERTs) then the platform (`advanceRun` over a run of 20 tool steps
 * plus the finishing step), so both see the same load. Prints Markdown tables and one JSON line.
 */
import { performance } from 'node:perf_hooks';
import { sql } from '../../packages/platform/src/store/sql.ts';
import {
  advanceRun,
  assertFinished,
  counterDelta,
  createBenchAgent,
  createBenchRun,
  environment,
  fixed,
  instrumentStores,
  intFlag,
  leaseRun,
  median,
  openBenchStore,
  parseFlags,
  percentile,
  stepBrain,
  table,
  type BenchStore,
  type MethodTally,
} from './harness.ts';

const flags = parseFlags(process.argv.slice(2), ['postgres', 'pglite']);
const toolSteps = 20;
const rounds = intFlag(flags, 'rounds', flags.quick ? 10 : 40);
const warmup = flags.quick ? 2 : 5;
const instrumentedRuns = flags.quick ? 3 : 10;
const poolSize = intFlag(flags, 'pool', 10);

interface StoreResult {
  store: string;
  label: string;
  rounds: number;
  platformMsPerStep: number[];
  floorMsPerStep: number[];
  createMs: number[];
  leaseMs: number[];
  perStep: { statements: number; commits: number; bytes: number };
  floorPerStep: { statements: number; commits: number; bytes: number };
  breakdown: Record<string, MethodTally>;
  instrumentedMsPerStep: number;
}

async function floorRun(bench: BenchStore, round: number): Promise<number> {
  const db = bench.database.executor;
  const runId = `floor_${round}`;
  const start = performance.now();
  for (let step = 1; step <= toolSteps; step += 1) {
    // About the size of one step's tool result event.
    const payload = JSON.stringify({
      type: 'tool-call-end',
      step,
      ok: true,
      result: { echoed: `step-${step}` },
    });
    await db.execute(
      sql`INSERT INTO bench_floor (run_id, step, payload) VALUES (${runId}, ${step}::int, ${payload}::jsonb)`,
    );
  }
  return (performance.now() - start) / toolSteps;
}

async function measure(bench: BenchStore): Promise<StoreResult> {
  const { database } = bench;
  await database.executor.execute(
    sql.raw('CREATE TABLE bench_floor (id serial, run_id text, step int, payload jsonb)'),
  );
  const agent = await createBenchAgent(database);
  const ports = { runs: database.stores.runs, toolCalls: database.stores.toolCalls };
  const result: StoreResult = {
    store: bench.kind,
    label: bench.label,
    rounds,
    platformMsPerStep: [],
    floorMsPerStep: [],
    createMs: [],
    leaseMs: [],
    perStep: { statements: 0, commits: 0, bytes: 0 },
    floorPerStep: { statements: 0, commits: 0, bytes: 0 },
    breakdown: {},
    instrumentedMsPerStep: 0,
  };
  for (let round = 0; round < warmup + rounds; round += 1) {
    const floorBefore = database.stats();
    const floorMs = await floorRun(bench, round);
    const floorCounters = counterDelta(floorBefore, database.stats());

    let mark = performance.now();
    const run = await createBenchRun(database, agent);
    const createMs = performance.now() - mark;
    mark = performance.now();
    const lease = await leaseRun(database, run);
    const leaseMs = performance.now() - mark;
    const before = database.stats();
    mark = performance.now();
    const outcome = await advanceRun(ports, { run, lease, agent, brain: stepBrain(toolSteps) });
    const loopMs = performance.now() - mark;
    const counters = counterDelta(before, database.stats());
    assertFinished(outcome, toolSteps);
    if (round < warmup) continue;
    result.floorMsPerStep.push(floorMs);
    result.platformMsPerStep.push(loopMs / toolSteps);
    result.createMs.push(createMs);
    result.leaseMs.push(leaseMs);
    result.perStep = {
      statements: counters.statements / toolSteps,
      commits: counters.commits / toolSteps,
      bytes: counters.bytesWritten / toolSteps,
    };
    result.floorPerStep = {
      statements: floorCounters.statements / toolSteps,
      commits: floorCounters.commits / toolSteps,
      bytes: floorCounters.bytesWritten / toolSteps,
    };
  }
  // Separate runs attribute statements and time to store methods; the timed rounds stay unwrapped.
  const tally = new Map<string, MethodTally>();
  const instrumented = instrumentStores(database, tally);
  let total = 0;
  for (let index = 0; index < instrumentedRuns; index += 1) {
    const run = await createBenchRun(database, agent);
    const lease = await leaseRun(database, run);
    const start = performance.now();
    assertFinished(
      await advanceRun(instrumented, { run, lease, agent, brain: stepBrain(toolSteps) }),
      toolSteps,
    );
    total += performance.now() - start;
  }
  result.instrumentedMsPerStep = total / instrumentedRuns / toolSteps;
  for (const [name, entry] of tally) result.breakdown[name] = entry;
  return result;
}

const what: Record<string, string> = {
  'runs.events': 'read the working-memory window at the start of a slice',
  'toolCalls.pending': 'pending calls of the first step of a slice',
  'runs.finalize': 'end the run log after reflection',
  'toolCalls.begin': 'journal the call before it runs (fenced INSERT)',
  'toolCalls.resolve': 'record the call result at once (UPDATE)',
  'runs.commitStep': 'commit the step: run row, events, tool-call completions (one statement)',
};

function report(result: StoreResult): string {
  const platform = median(result.platformMsPerStep);
  const floor = median(result.floorMsPerStep);
  const pairedRatios = result.platformMsPerStep.map(
    (value, index) => value / (result.floorMsPerStep[index] ?? 1),
  );
  const lines: string[] = [];
  lines.push(`### Step overhead — ${result.label}\n`);
  lines.push(
    `${result.rounds} interleaved rounds (after ${warmup} warm-up rounds); a run = ${toolSteps} tool steps + the finishing step, ms/step = loop time ÷ ${toolSteps}.\n`,
  );
  lines.push(
    table(
      ['', 'median ms/step', 'p10', 'p90', 'statements/step', 'commits/step', 'parameter bytes/step'],
      [
        [
          'platform (`advanceRun`)',
          fixed(platform, 3),
          fixed(percentile(result.platformMsPerStep, 10), 3),
          fixed(percentile(result.platformMsPerStep, 90), 3),
          fixed(result.perStep.statements),
          fixed(result.perStep.commits),
          fixed(result.perStep.bytes, 0),
        ],
        [
          'floor (1 autocommit INSERT)',
          fixed(floor, 3),
          fixed(percentile(result.floorMsPerStep, 10), 3),
          fixed(percentile(result.floorMsPerStep, 90), 3),
          fixed(result.floorPerStep.statements),
          fixed(result.floorPerStep.commits),
          fixed(result.floorPerStep.bytes, 0),
        ],
        [
          '**ratio**',
          `**${fixed(platform / floor)}×**`,
          '',
          '',
          `median of per-round ratios ${fixed(median(pairedRatios))}×`,
          '',
          '',
        ],
      ],
    ),
  );
  lines.push(
    `\nOutside the loop (per run): create ${fixed(median(result.createMs), 2)} ms, acquireLease ${fixed(median(result.leaseMs), 2)} ms (medians).\n`,
  );
  lines.push(
    `Where a step goes (${instrumentedRuns} instrumented runs, ${fixed(result.instrumentedMsPerStep, 3)} ms/step; per tool step = total ÷ ${toolSteps}):\n`,
  );
  const perStep = (value: number): number => value / instrumentedRuns / toolSteps;
  const entries = Object.entries(result.breakdown).sort(([, a], [, b]) => b.ms - a.ms);
  let storeMs = 0;
  const rows = entries.map(([name, entry]) => {
    storeMs += entry.ms;
    return [
      `\`${name}\``,
      what[name] ?? '',
      fixed(perStep(entry.calls)),
      fixed(perStep(entry.ms), 3),
      fixed(entry.ms / entry.calls, 3),
      fixed(perStep(entry.statements)),
      fixed(perStep(entry.commits)),
      fixed(perStep(entry.bytes), 0),
    ];
  });
  const loopMs = result.instrumentedMsPerStep - perStep(storeMs);
  rows.push([
    '(outside the store)',
    'brain, tool, zod checks, events, transcript',
    '',
    fixed(loopMs, 3),
    '',
    '',
    '',
    '',
  ]);
  lines.push(
    table(
      [
        'store method',
        'what',
        'calls/step',
        'ms/step',
        'ms/call',
        'statements/step',
        'commits/step',
        'bytes/step',
      ],
      rows,
    ),
  );
  return lines.join('\n');
}

const results: StoreResult[] = [];
for (const kind of flags.stores) {
  const bench = await openBenchStore(kind, { url: flags.url, poolSize });
  try {
    results.push(await measure(bench));
  } finally {
    await bench.close();
  }
  console.log(`${report(results.at(-1) as StoreResult)}\n`);
}
const env = await environment();
console.log(
  `Load average at the end: ${(env.loadAverage as number[]).join(', ')} (${String(env.cpus)} CPUs).\n`,
);
console.log(
  JSON.stringify({
    bench: 'overhead',
    env,
    toolSteps,
    results: results.map((result) => ({
      ...result,
      medianPlatformMsPerStep: median(result.platformMsPerStep),
      medianFloorMsPerStep: median(result.floorMsPerStep),
      ratio: median(result.platformMsPerStep) / median(result.floorMsPerStep),
    })),
  }),
);
