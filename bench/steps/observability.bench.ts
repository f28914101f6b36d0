/**
 * Observability overhead on the step-overhead benchmark: the same run (20 `echo` tool steps and the
 * finishing step, real loop, real store) advanced bare, and observed the way `RunService` observes it —
 * the run observer with Prometheus metrics and OpenTelemetry tracing (every trace sampled), spans
 * exported over OTLP/HTTP (protobuf, the default batching) to a loopback receiver in another process —
 * then with info-level logs as well (to /dev/null), and with head sampling
 * (`parentbased_traceidratio`, 10 % of the traces). Variants are interleaved round by round, so they
 * see the same load. Target: metrics + tracing cost at most 10 % more per step than bare.
 *
 * `--variants diagnose` adds the parts apart: metrics only, tracing only, tracing with nothing sampled
 * (the instrumentation's own cost), and tracing exported as on 2026-12-01 (OTLP JSON, batches of 512
 * spans every second).
 *
 * Run: `node bench/steps/observability.bench.ts [--store pglite|pglite-dir|postgres|all] [--quick]
 *        [--rounds N] [--variants default|diagnose] [--export per-run|batch] [--only 'name;name']
 *        [--url postgres://…]`
 * Prints Markdown tables and one JSON line.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import {
  advanceRun,
  systemClock,
  ToolRegistry,
  type Agent,
  type AgentRuntime,
  type Brain,
  type BrainContext,
  type Run,
  type RunEvent,
  type ToolContext,
} from '@autonoma/core';
import type { Database } from '../../packages/platform/src/store/index.ts';
import { createLogger } from '../../packages/platform/src/observability/logger.ts';
import { createMetrics } from '../../packages/platform/src/observability/metrics.ts';
import type { RunObserver } from '../../packages/platform/src/observability/run-observer.ts';
import { createRunObserver } from '../../packages/platform/src/observability/run-observer.ts';
import type { Tracing, TracingOptions } from '../../packages/platform/src/observability/tracing.ts';
import { startTracing } from '../../packages/platform/src/observability/tracing.ts';
import {
  assertFinished,
  createBenchAgent,
  createBenchRun,
  echoTool,
  environment,
  fixed,
  intFlag,
  leaseRun,
  median,
  openBenchStore,
  parseFlags,
  percentile,
  stepBrain,
  table,
} from './harness.ts';

const flags = parseFlags(process.argv.slice(2), ['postgres', 'pglite']);
const toolSteps = 20;
const rounds = intFlag(flags, 'rounds', flags.quick ? 10 : 40);
const warmup = flags.quick ? 2 : 5;
const targetRatio = 1.1;
const variantSet = flags.values.get('variants') ?? 'default';
if (variantSet !== 'default' && variantSet !== 'diagnose')
  throw new Error(`--variants must be default or diagnose, not '${variantSet}'`);
/**
 * `--export per-run` (the default): each traced run's export starts before its clock stops;
 * `--export batch`: the batch processor exports when it decides (a full batch, its timer), wherever that
 * lands — as the benchmark measured on 2026-12-01.
 */
const exportMode = flags.values.get('export') ?? 'per-run';
if (exportMode !== 'per-run' && exportMode !== 'batch')
  throw new Error(`--export must be per-run or batch, not '${exportMode}'`);
/**
 * `--only 'off;tracing only'`: just these variants (by name, separated by `;`), without the isolated
 * measurement of the observer — e.g. to profile one of them (`node --cpu-prof …`).
 */
const only = flags.values
  .get('only')
  ?.split(';')
  .map((name) => name.trim());

/**
 * A loopback OTLP/HTTP receiver in a child process: counts the spans of each request (OTLP protobuf,
 * walked field by field, or OTLP JSON), per exporter (the first segment of the path: each tracing
 * exports to its own `/<n>/v1/traces`), answers 200, and prints the counts when told to stop.
 */
const receiverSource = `
import { createServer } from 'node:http';
const tallies = {};
const varint = (buf, pos) => { let value = 0, shift = 0, byte; do { byte = buf[pos++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80); return [value, pos]; };
const fields = (buf, start, end, each) => {
  let pos = start;
  while (pos < end) {
    let key; [key, pos] = varint(buf, pos);
    const wire = key & 7;
    if (wire === 0) [, pos] = varint(buf, pos);
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) { let length; [length, pos] = varint(buf, pos); each(Math.floor(key / 8), pos, pos + length); pos += length; }
    else throw new Error('wire type ' + wire);
  }
};
// ExportTraceServiceRequest.resource_spans (1) → ResourceSpans.scope_spans (2) → ScopeSpans.spans (2)
const protobufSpans = (buf) => { let spans = 0; fields(buf, 0, buf.length, (f1, s1, e1) => { if (f1 === 1) fields(buf, s1, e1, (f2, s2, e2) => { if (f2 === 2) fields(buf, s2, e2, (f3) => { if (f3 === 2) spans += 1; }); }); }); return spans; };
const server = createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks);
    const tally = (tallies[request.url.split('/')[1]] ??= { spans: 0, requests: 0, bytes: 0 });
    tally.requests += 1; tally.bytes += body.length;
    try {
      tally.spans += request.headers['content-type'] === 'application/x-protobuf'
        ? protobufSpans(body)
        : (body.toString().match(/"spanId"/g) ?? []).length;
    } catch {}
    response.writeHead(200, { 'content-type': request.headers['content-type'] }).end();
  });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.stdin.on('data', (line) => { if (String(line).startsWith('stop')) process.exit(0); console.log(JSON.stringify(tallies)); });
`;

/** What the receiver got from one exporter. */
interface Exported {
  spans: number;
  requests: number;
  bytes: number;
}

interface Receiver {
  url: string;
  /** What each exporter (by its path segment) sent so far. */
  counts(): Promise<Record<string, Exported>>;
  stop(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', receiverSource], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let waiting: ((line: string) => void) | undefined;
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let index = buffer.indexOf('\n'); index >= 0; index = buffer.indexOf('\n')) {
      const line = buffer.slice(0, index);
      buffer = buffer.slice(index + 1);
      if (waiting) {
        waiting(line);
        waiting = undefined;
      } else lines.push(line);
    }
  });
  const nextLine = (): Promise<string> =>
    new Promise((resolve) => {
      const queued = lines.shift();
      if (queued !== undefined) resolve(queued);
      else waiting = resolve;
    });
  const { port } = JSON.parse(await nextLine()) as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    counts: async () => {
      child.stdin.write('count\n');
      return JSON.parse(await nextLine()) as Record<string, Exported>;
    },
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.write('stop\n');
      await exited;
    },
  };
}

const tools = new ToolRegistry([echoTool]);

/**
 * The benchmark's scripted brain, reporting a model call per decision as the model brain does (so the
 * observed runs carry model spans and metrics); every variant uses it, so the stored events are alike.
 */
function modelLikeBrain(inner: Brain): Brain {
  return {
    name: 'bench:model',
    decide: async (context) => {
      const callId = `mcall_${context.step}`;
      context.emit({ type: 'model-call-start', step: context.step, callId, model: 'bench:model' });
      const decision = await inner.decide(context);
      context.emit({
        type: 'model-call-end',
        step: context.step,
        callId,
        model: 'bench:model',
        usage: { inputTokens: 100, outputTokens: 20 },
        costUsd: 0.0001,
        latencyMs: 0,
      });
      return decision;
    },
  };
}

/**
 * One run of 20 tool steps, advanced with or without an observer: ms of wall time and µs of this
 * process's CPU per tool step. A traced run pays for exporting its own spans: its tracing's export is
 * started before the clock stops (serializing the spans and writing the request happen then), so no
 * batch exported later by a timer lands in another variant's time; the receiver's answer is awaited
 * after. Exporting every run's ~63 spans on its own is dearer than the production batches (fewer,
 * larger requests): if anything, this overstates the cost.
 */
async function observedRun(
  database: Database,
  agent: Agent,
  observer: RunObserver | undefined,
  tracing: Tracing | undefined,
): Promise<{ ms: number; cpuMicros: number }> {
  const run = await createBenchRun(database, agent);
  const lease = await leaseRun(database, run);
  const brain = modelLikeBrain(stepBrain(toolSteps));
  const cpu = process.cpuUsage();
  const start = performance.now();
  const slice = observer?.slice(run, agent);
  const runtime: AgentRuntime = {
    runs: database.stores.runs,
    toolCalls: database.stores.toolCalls,
    tools: slice ? slice.tools(tools) : tools,
    brain: slice ? slice.brain(brain) : brain,
    clock: systemClock,
  };
  const result = await advanceRun(runtime, {
    run,
    lease,
    agent,
    leaseTtlMs: 60_000,
    ...(slice ? { sink: slice.sink } : {}),
  });
  slice?.end({ result });
  const exported = exportMode === 'per-run' ? tracing?.flush() : undefined;
  const elapsed = performance.now() - start;
  const used = process.cpuUsage(cpu);
  await exported;
  assertFinished(result, toolSteps);
  return { ms: elapsed / toolSteps, cpuMicros: (used.user + used.system) / toolSteps };
}

/** The events one step commits (what the observer's sink sees), for the isolated measurement. */
function stepEvents(run: Run, step: number, last: boolean): RunEvent[] {
  const base = { runId: run.id, at: Date.now() };
  const callId = `${run.id}:${step}:0`;
  const payloads = [
    { type: 'step-start', step },
    { type: 'model-call-start', step, callId: `mcall_${step}`, model: 'bench:model' },
    {
      type: 'model-call-end',
      step,
      callId: `mcall_${step}`,
      model: 'bench:model',
      usage: { inputTokens: 100, outputTokens: 20 },
      costUsd: 0.0001,
      latencyMs: 0,
    },
    { type: 'tool-call-start', step, callId, tool: 'echo', args: { value: `step-${step}` } },
    {
      type: 'tool-call-end',
      step,
      callId,
      tool: 'echo',
      ok: true,
      result: {},
      latencyMs: 0,
      fromJournal: false,
    },
    { type: 'step-end', step, outcome: { kind: 'continue' }, status: 'running' },
    ...(last
      ? [
          {
            type: 'run-end',
            status: 'succeeded',
            usage: {
              steps: step,
              inputTokens: 0,
              outputTokens: 0,
              costUsd: 0,
              modelCalls: 0,
              toolCalls: 0,
              wallMs: 0,
            },
          },
        ]
      : []),
  ];
  return payloads.map((payload, index) => ({ ...payload, ...base, seq: step * 10 + index }) as RunEvent);
}

/**
 * The observer's own work per step, without the store: a slice's wrapped decision (with its model
 * call), its wrapped tool call and the step's events through the sink, and the export of its spans,
 * minus the same calls unobserved. µs of this process's CPU per step.
 */
async function observerMicros(
  observer: RunObserver,
  tracing: Tracing | undefined,
  run: Run,
  agent: Agent,
  iterations: number,
): Promise<number> {
  const decision = { kind: 'act' as const, calls: [{ tool: 'echo', args: { value: 'x' } }] };
  const inner = modelLikeBrain({ name: 'bench', decide: async () => decision });
  const context = { run, agent, step: 1, emit: () => undefined } as unknown as BrainContext;
  const toolContext = {
    runId: run.id,
    callId: `${run.id}:1:0`,
    signal: new AbortController().signal,
  } as ToolContext;
  const pass = async (observed: RunObserver | undefined): Promise<number> => {
    const start = process.cpuUsage();
    for (let iteration = 0; iteration < iterations; iteration += 1) {
      const slice = observed?.slice(run, agent);
      const brain = slice ? slice.brain(inner) : inner;
      const echo = (slice ? slice.tools(tools) : tools).get('echo');
      for (let step = 1; step <= toolSteps; step += 1) {
        await brain.decide({ ...context, step });
        await echo?.execute({ value: 'x' } as never, toolContext);
        if (slice) for (const event of stepEvents(run, step, step === toolSteps)) slice.sink(event);
      }
      slice?.end({ result: { run, end: 'ended' } });
    }
    if (observed) await tracing?.flush();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / (iterations * toolSteps);
  };
  await pass(observer);
  await pass(undefined);
  const observedRounds: number[] = [];
  const bareRounds: number[] = [];
  for (let round = 0; round < 7; round += 1) {
    observedRounds.push(await pass(observer));
    bareRounds.push(await pass(undefined));
  }
  return median(observedRounds) - median(bareRounds);
}

interface Variant {
  name: string;
  what: string;
  observer: RunObserver | undefined;
  /** The tracing it exports through (its spans are counted apart). */
  tracing?: string;
  msPerStep: number[];
  /** This process's CPU per step, µs (user + system, all its threads). */
  cpuMicrosPerStep: number[];
}

interface StoreResult {
  store: string;
  label: string;
  rounds: number;
  variants: {
    name: string;
    what: string;
    msPerStep: number[];
    cpuMicrosPerStep: number[];
    exported?: Exported;
  }[];
  scrapeBytes: number;
  /** The observer's own work per step (µs), measured apart from the store. */
  observerMicrosPerStep: Record<string, number>;
}

/** The tracings the variants use, each exporting to its own path of the receiver. */
const tracingSetups: Record<string, Omit<TracingOptions, 'endpoint' | 'serviceName' | 'serviceVersion'>> = {
  // The defaults: every trace sampled (parentbased_always_on), OTLP protobuf, the default batching.
  sampled: {},
  ratio: { sampler: { name: 'parentbased_traceidratio', ratio: 0.1 } },
  none: { sampler: { name: 'always_off' } },
  // The export measured on 2026-12-01: OTLP JSON, 512 spans per batch, every second, 4096 buffered.
  json512: {
    protocol: 'http/json',
    batch: { maxExportBatchSize: 512, scheduledDelayMs: 1000, maxQueueSize: 4096 },
  },
};

async function measure(kind: (typeof flags.stores)[number]): Promise<StoreResult> {
  const bench = await openBenchStore(kind, { url: flags.url });
  const receiver = await startReceiver();
  const tracings = new Map<string, Tracing>();
  for (const [name, options] of Object.entries(tracingSetups))
    tracings.set(
      name,
      await startTracing({
        ...options,
        endpoint: `${receiver.url}/${name}`,
        serviceName: 'autonoma-bench',
        serviceVersion: '0',
      }),
    );
  const tracing = (name: string): Tracing => tracings.get(name) as Tracing;
  const metrics = createMetrics();
  const logger = createLogger({ level: 'info', destination: createWriteStream('/dev/null') });
  try {
    const agent = await createBenchAgent(bench.database);
    const variants: Variant[] = [
      {
        name: 'off',
        what: 'no observer (the loop as the overhead benchmark runs it)',
        observer: undefined,
        msPerStep: [],
        cpuMicrosPerStep: [],
      },
      {
        name: 'metrics + tracing',
        what: 'run observer: metrics, every trace sampled, spans exported (OTLP protobuf) to a loopback receiver',
        observer: createRunObserver({ metrics, tracing: tracing('sampled') }),
        tracing: 'sampled',
        msPerStep: [],
        cpuMicrosPerStep: [],
      },
      {
        name: 'metrics + tracing + logs',
        what: 'the same, and info-level log lines (to /dev/null)',
        observer: createRunObserver({ metrics, tracing: tracing('sampled'), logger }),
        tracing: 'sampled',
        msPerStep: [],
        cpuMicrosPerStep: [],
      },
      {
        name: 'metrics + tracing, 10 % sampled',
        what: '`OTEL_TRACES_SAMPLER=parentbased_traceidratio`, `OTEL_TRACES_SAMPLER_ARG=0.1`',
        observer: createRunObserver({ metrics, tracing: tracing('ratio') }),
        tracing: 'ratio',
        msPerStep: [],
        cpuMicrosPerStep: [],
      },
      ...(variantSet === 'diagnose'
        ? [
            {
              name: 'metrics only',
              what: 'run observer with metrics, no tracing',
              observer: createRunObserver({ metrics }),
              msPerStep: [],
              cpuMicrosPerStep: [],
            },
            {
              name: 'tracing only',
              what: 'run observer with tracing (every trace sampled, OTLP protobuf), no metrics',
              observer: createRunObserver({ tracing: tracing('sampled') }),
              tracing: 'sampled',
              msPerStep: [],
              cpuMicrosPerStep: [],
            },
            {
              name: 'tracing, nothing sampled',
              what: '`always_off`: the spans are made but not recorded (the instrumentation alone)',
              observer: createRunObserver({ tracing: tracing('none') }),
              tracing: 'none',
              msPerStep: [],
              cpuMicrosPerStep: [],
            },
            {
              name: 'metrics + tracing, OTLP JSON',
              what: 'every trace sampled, exported as on 2026-12-01: OTLP JSON, batches of 512 spans, every second',
              observer: createRunObserver({ metrics, tracing: tracing('json512') }),
              tracing: 'json512',
              msPerStep: [],
              cpuMicrosPerStep: [],
            },
          ]
        : []),
    ].filter((variant) => only === undefined || only.includes(variant.name));
    for (let round = 0; round < warmup + rounds; round += 1) {
      // Rotate the order each round so that no variant always runs first (or right after an export).
      for (let index = 0; index < variants.length; index += 1) {
        const variant = variants[(round + index) % variants.length] as Variant;
        const measured = await observedRun(
          bench.database,
          agent,
          variant.observer,
          variant.tracing === undefined ? undefined : tracing(variant.tracing),
        );
        if (round >= warmup) {
          variant.msPerStep.push(measured.ms);
          variant.cpuMicrosPerStep.push(measured.cpuMicros);
        }
      }
    }
    // What the measured rounds exported (the isolated measurement below makes spans too).
    for (const each of tracings.values()) await each.flush();
    const exported = await receiver.counts();
    const sample = await createBenchRun(bench.database, agent);
    const observerMicrosPerStep: Record<string, number> = {};
    for (const variant of variants)
      if (variant.observer && only === undefined)
        observerMicrosPerStep[variant.name] = await observerMicros(
          variant.observer,
          variant.tracing === undefined ? undefined : tracing(variant.tracing),
          sample,
          agent,
          50,
        );
    const scrape = await metrics.render();
    for (const each of tracings.values()) await each.close();
    return {
      observerMicrosPerStep,
      store: kind,
      label: bench.label,
      rounds,
      variants: variants.map(({ name, what, msPerStep, cpuMicrosPerStep, tracing: setup }) => ({
        name,
        what,
        msPerStep,
        cpuMicrosPerStep,
        ...(setup === undefined ? {} : { exported: exported[setup] ?? { spans: 0, requests: 0, bytes: 0 } }),
      })),
      scrapeBytes: scrape.length,
    };
  } finally {
    await receiver.stop();
    await bench.close();
  }
}

function report(result: StoreResult): string {
  const [offVariant] = result.variants;
  const offRounds = offVariant?.msPerStep ?? [];
  const off = median(offRounds);
  const offCpu = median(offVariant?.cpuMicrosPerStep ?? []);
  const rows = result.variants.map((variant) => {
    const isOff = variant === offVariant;
    const value = median(variant.msPerStep);
    const ratio = value / off;
    const paired = median(variant.msPerStep.map((ms, index) => ms / (offRounds[index] ?? ms)));
    const cpu = median(variant.cpuMicrosPerStep);
    return [
      variant.name,
      variant.what,
      fixed(value, 3),
      fixed(percentile(variant.msPerStep, 10), 3),
      fixed(percentile(variant.msPerStep, 90), 3),
      isOff ? '1.00×' : `**${fixed(ratio)}×** (${ratio <= targetRatio ? 'met' : 'missed'})`,
      isOff ? '' : `${fixed(paired)}×`,
      isOff ? fixed(cpu, 0) : `${fixed(cpu, 0)} (+${fixed(cpu - offCpu, 0)}, ${fixed(cpu / offCpu)}×)`,
      variant.exported
        ? `${variant.exported.spans} in ${variant.exported.requests} (${fixed(variant.exported.bytes / 2 ** 20, 2)} MB)`
        : '',
    ];
  });
  return [
    `### Observability overhead — ${result.label}\n`,
    `${result.rounds} interleaved rounds (after ${warmup} warm-up rounds); a run = ${toolSteps} tool steps + the finishing step, ms/step = loop time ÷ ${toolSteps}; ${exportMode === 'per-run' ? "each traced run's spans are exported (the export started) before its clock stops" : 'spans are exported when the batch processor decides (`--export batch`)'}. Target: ≤ ${fixed(targetRatio)}× off.\n`,
    table(
      [
        'variant',
        'what',
        'median ms/step',
        'p10',
        'p90',
        'ratio of medians to off',
        'median of per-round ratios',
        'CPU µs/step of this process (median; vs off)',
        'spans exported (OTLP requests)',
      ],
      rows,
    ),
    `\nThe observer's own work, measured apart from the store (a slice's wrapped decision with its model call, its wrapped tool call, the step's events through the sink and the export of its spans, minus the same calls unobserved), in µs of CPU per step: ${Object.entries(
      result.observerMicrosPerStep,
    )
      .map(
        ([name, micros]) =>
          `${name} ${fixed(micros, 1)} (${fixed((micros / 1000 / off) * 100, 1)} % of off's median step)`,
      )
      .join('; ')}.`,
    `\nSpans exported are counted by the receiver per tracing, over the ${warmup + rounds} rounds (warm-up included); variants that share a tracing (metrics + tracing with and without logs, and tracing only) show the same, joint count. A scrape of the metrics is ${result.scrapeBytes} bytes.`,
  ].join('\n');
}

const results: StoreResult[] = [];
for (const kind of flags.stores) {
  results.push(await measure(kind));
  console.log(`${report(results.at(-1) as StoreResult)}\n`);
}
const env = await environment();
console.log(
  `Load average at the end: ${(env.loadAverage as number[]).join(', ')} (${String(env.cpus)} CPUs).\n`,
);
console.log(
  JSON.stringify({
    bench: 'observability',
    env,
    toolSteps,
    target: targetRatio,
    results: results.map((result) => ({
      ...result,
      medians: Object.fromEntries(
        result.variants.map((variant) => [variant.name, median(variant.msPerStep)]),
      ),
      cpuMedians: Object.fromEntries(
        result.variants.map((variant) => [variant.name, median(variant.cpuMicrosPerStep)]),
      ),
    })),
  }),
);
