/**
 * Scale-out: 1,000 runs × 5 tool steps (and a finishing step), every model call waiting 50 ms (the
 * fixture model's delay), on PostgreSQL + Redis, drained by 1 and then by 2 `autonoma worker`
 * processes. Reports wall time, steps per second and each worker's peak RSS (VmHWM).
 *
 * Run: `node bench/jobs/scale-out.bench.ts [--runs 1000] [--concurrency 50] [--workers 1,2] [--rounds 1]`
 * Each measurement uses a fresh cluster; the runs (and their jobs) are stored first, then the workers
 * start, and the clock runs from the last worker's registration to the last run finalized. The runs'
 * agent (the default agent's tools) and their organization get caps above what the workers can hold,
 * so the workers are what is measured (with the default agent's `concurrency` of 10, one worker
 * already fills the fleet's 10 places and a second adds nothing).
 */
import { AgentSpec, type Agent } from '@autonoma/core';
import {
  environment,
  fixed,
  intFlag,
  median,
  parseFlags,
  peakRssMb,
  startCluster,
  startRuns,
  stopWorkers,
  table,
  waitAllFinalized,
  workerReady,
} from './harness.ts';

const flags = parseFlags(process.argv.slice(2), ['postgres']);
const runs = intFlag(flags, 'runs', flags.quick ? 200 : 1000);
const concurrency = intFlag(flags, 'concurrency', 50);
const rounds = intFlag(flags, 'rounds', 1);
const fleet = (flags.values.get('workers') ?? '1,2').split(',').map(Number);
const toolSteps = 5;
const latencyMs = 50;

interface Measurement {
  workers: number;
  runs: number;
  wallMs: number;
  stepsPerSecond: number;
  peakRssMb: number[];
  succeeded: number;
  loadAverage: number[];
}

/** The spec of a stored agent (its fields without the store's). */
function agentSpecOf(agent: Agent): Record<string, unknown> {
  const { id: _id, orgId: _orgId, createdAt: _createdAt, updatedAt: _updatedAt, ...spec } = agent;
  return spec;
}

async function measure(workers: number): Promise<Measurement> {
  // The organization's cap on runs in flight and the agent's `concurrency` are raised above what the
  // workers can hold (`concurrency` × workers): what is measured is the workers, not the caps.
  const cap = String(Math.max(runs, concurrency * workers));
  const cluster = await startCluster({ env: { LOG_LEVEL: 'error', AUTONOMA_ORG_MAX_RUNS: cap } });
  try {
    const scope = cluster.app.localScope;
    const base = await cluster.app.services.agents.get(scope, undefined);
    await cluster.app.services.agents.put(
      scope,
      AgentSpec.parse({ ...agentSpecOf(base), name: 'wide', concurrency: Number(cap) }),
    );
    const ids = await startRuns(cluster, {
      count: runs,
      goal: `[effects=${toolSteps}] [delay=${latencyMs}] scale`,
      agent: 'wide',
    });
    const pool = Array.from({ length: workers }, () =>
      cluster.startWorker(['--concurrency', String(concurrency)]),
    );
    await Promise.all(pool.map(workerReady));
    const started = Date.now();
    const last = await waitAllFinalized(cluster, ids);
    const rss = pool.map((worker) => peakRssMb(worker.pid));
    await stopWorkers(pool);
    const ended = await cluster.runs(ids);
    const steps = ended.reduce((total, run) => total + run.stepCount, 0);
    const wallMs = last - started;
    const { loadavg } = await import('node:os');
    return {
      workers,
      runs,
      wallMs,
      stepsPerSecond: steps / (wallMs / 1000),
      peakRssMb: rss,
      succeeded: ended.filter((run) => run.status === 'succeeded').length,
      loadAverage: loadavg(),
    };
  } finally {
    await cluster.close();
  }
}

const measured: Measurement[] = [];
for (let round = 0; round < rounds; round += 1)
  for (const workers of fleet) measured.push(await measure(workers));
const byFleet = (workers: number) => measured.filter((entry) => entry.workers === workers);
const rate = (workers: number) => median(byFleet(workers).map((entry) => entry.stepsPerSecond));
console.log(
  `# Scale-out: ${runs} runs × ${toolSteps} tool steps + 1, ${latencyMs} ms per model call, concurrency ${concurrency} per worker\n`,
);
console.log(
  table(
    [
      'workers',
      'wall (median)',
      'steps/s (median)',
      'speed-up',
      'peak RSS per worker',
      'succeeded',
      'load average',
    ],
    fleet.map((workers) => {
      const entries = byFleet(workers);
      return [
        String(workers),
        `${fixed(median(entries.map((entry) => entry.wallMs)) / 1000, 1)} s`,
        fixed(rate(workers), 1),
        `${fixed(rate(workers) / rate(fleet[0] ?? 1), 2)}×`,
        entries.map((entry) => entry.peakRssMb.map((mb) => `${fixed(mb, 0)} MB`).join(' / ')).join('; '),
        entries.map((entry) => `${entry.succeeded}/${entry.runs}`).join(', '),
        entries.map((entry) => entry.loadAverage.map((value) => fixed(value, 1)).join(' ')).join('; '),
      ];
    }),
  ),
);
console.log(`\ntarget: 2 workers ≥ 1.6× the steps/s of 1\n`);
console.log(
  JSON.stringify({
    bench: 'scale-out',
    runs,
    concurrency,
    toolSteps,
    latencyMs,
    measured,
    environment: await environment(),
  }),
);
