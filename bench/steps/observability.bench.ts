/**
 * Observability overhead on the step-overhead benchmark: the same run (20 `echo` tool steps and the
 * finishing step, real loop, real store) advanced bare, and observed the way `RunService` observes it —
 * the run observer with Prometheus metrics and OpenTelemetry tracing, spans exported over OTLP/HTTP to a
 * loopback receiver in another process — and, third, with info-level logs as well (to /dev/null).
 * Variants are interleaved round by round, so they see the same load. Target: metrics + tracing cost
 * at most 10 % more per step than bare.
 *
 * Run: `node bench/steps/observability.bench.ts [--store pglite|pglite-dir|postgres|all] [--quick]
 *        [--rounds N] [--url postgres://…]`
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

/** A loopback OTLP/HTTP receiver in a child process: counts spans, answers 200, prints the count at exit. */
const receiverSource = `
import { createServer } from 'node:http';
let spans = 0, requests = 0, bytes = 0;
const server = createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks);
    requests += 1; bytes += body.length;
    try { spans += (body.toString().match(/"spanId"/g) ?? []).length; } catch {}
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.stdin.on('data', () => { console.log(JSON.stringify({ spans, requests, bytes })); process.exit(0); });
`;

interface Receiver {
  url: string;
  stop(): Promise<{ spans: number; requests: number; bytes: number }>;
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
    stop: async () => {
      child.stdin.write('stop\n');
      return JSON.parse(await nextLine()) as { spans: number; requests: number; bytes: number };
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

/** One run of 20 tool steps, advanced with or without an observer; returns ms per tool step. */
async function observedRun(
  database: Database,
  agent: Agent,
  observer: RunObserver | undefined,
): Promise<number> {
  const run = await createBenchRun(database, agent);
  const lease = await leaseRun(database, run);
  const brain = modelLikeBrain(stepBrain(toolSteps));
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
  const elapsed = performance.now() - start;
  assertFinished(result, toolSteps);
  return elapsed / toolSteps;
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
 * call), its wrapped tool call and the step's events through the sink, minus the same calls unobserved.
 * Microseconds per step.
 */
async function observerMicros(
  observer: RunObserver,
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
    const start = performance.now();
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
    return ((performance.now() - start) * 1000) / (iterations * toolSteps);
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
  msPerStep: number[];
}

interface StoreResult {
  store: string;
  label: string;
  rounds: number;
  variants: { name: string; what: string; msPerStep: number[] }[];
  exported: { spans: number; requests: number; bytes: number };
  scrapeBytes: number;
  /** The observer's own work per step (µs), measured apart from the store. */
  observerMicrosPerStep: Record<string, number>;
}

async function measure(kind: (typeof flags.stores)[number]): Promise<StoreResult> {
  const bench = await openBenchStore(kind, { url: flags.url });
  const receiver = await startReceiver();
  const tracing = await startTracing({
    endpoint: receiver.url,
    serviceName: 'autonoma-bench',
    serviceVersion: '0',
  });
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
      },
      {
        name: 'metrics + tracing',
        what: 'run observer: metrics, spans exported to a loopback OTLP receiver',
        observer: createRunObserver({ metrics, tracing }),
        msPerStep: [],
      },
      {
        name: 'metrics + tracing + logs',
        what: 'the same, and info-level log lines (to /dev/null)',
        observer: createRunObserver({ metrics, tracing, logger }),
        msPerStep: [],
      },
    ];
    for (let round = 0; round < warmup + rounds; round += 1) {
      // Rotate the order each round so that no variant always runs first (or right after an export).
      for (let index = 0; index < variants.length; index += 1) {
        const variant = variants[(round + index) % variants.length] as Variant;
        const ms = await observedRun(bench.database, agent, variant.observer);
        if (round >= warmup) variant.msPerStep.push(ms);
      }
    }
    const sample = await createBenchRun(bench.database, agent);
    const observerMicrosPerStep: Record<string, number> = {};
    for (const variant of variants)
      if (variant.observer)
        observerMicrosPerStep[variant.name] = await observerMicros(variant.observer, sample, agent, 50);
    const scrape = await metrics.render();
    await tracing.close();
    return {
      observerMicrosPerStep,
      store: kind,
      label: bench.label,
      rounds,
      variants: variants.map(({ name, what, msPerStep }) => ({ name, what, msPerStep })),
      exported: await receiver.stop(),
      scrapeBytes: scrape.length,
    };
  } finally {
    await bench.close();
  }
}

function report(result: StoreResult): string {
  const off = median(result.variants[0]?.msPerStep ?? []);
  const offRounds = result.variants[0]?.msPerStep ?? [];
  const rows = result.variants.map((variant) => {
    const value = median(variant.msPerStep);
    const ratio = value / off;
    const paired = median(variant.msPerStep.map((ms, index) => ms / (offRounds[index] ?? ms)));
    return [
      variant.name,
      variant.what,
      fixed(value, 3),
      fixed(percentile(variant.msPerStep, 10), 3),
      fixed(percentile(variant.msPerStep, 90), 3),
      variant.name === 'off' ? '1.00×' : `**${fixed(ratio)}×** (${ratio <= targetRatio ? 'met' : 'missed'})`,
      variant.name === 'off' ? '' : `${fixed(paired)}×`,
    ];
  });
  return [
    `### Observability overhead — ${result.label}\n`,
    `${result.rounds} interleaved rounds (after ${warmup} warm-up rounds); a run = ${toolSteps} tool steps + the finishing step, ms/step = loop time ÷ ${toolSteps}. Target: ≤ ${fixed(targetRatio)}× off.\n`,
    table(
      [
        'variant',
        'what',
        'median ms/step',
        'p10',
        'p90',
        'ratio of medians to off',
        'median of per-round ratios',
      ],
      rows,
    ),
    `\nThe observer's own work, measured apart from the store (a slice's wrapped decision with its model call, its wrapped tool call and the step's events through the sink, minus the same calls unobserved): ${Object.entries(
      result.observerMicrosPerStep,
    )
      .map(
        ([name, micros]) =>
          `${name} ${fixed(micros, 1)} µs/step (${fixed((micros / 1000 / off) * 100, 1)} % of off's median step)`,
      )
      .join('; ')}.`,
    `\nExported ${result.exported.spans} spans in ${result.exported.requests} OTLP requests (${fixed(result.exported.bytes / 2 ** 20, 1)} MB); a scrape is ${result.scrapeBytes} bytes.`,
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
    })),
  }),
);
