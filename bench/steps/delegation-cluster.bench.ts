/**
 * Delegation overhead in the cluster: `autonoma worker` processes on PostgreSQL and BullMQ (the loopback
 * cluster of the job benchmarks), the model brain against the loopback OpenAI fixture answering at once.
 * A parent's first model call delegates to 10 children (one instant model step each); each child is its
 * own job, advanced by whichever worker takes it; the last child's terminal commit wakes the parent.
 *
 * Measured from the stored event times: from the parent's delegating step (its `delegate-start` events,
 * committed with the step) to the end of its resumed step (`step-end` of step 2) — against a floor of
 * 10 loose one-step runs started together (first run created → last run ended).
 *
 * Run: `node bench/steps/delegation-cluster.bench.ts [--quick] [--rounds N] [--children N]
 *        [--workers N] [--concurrency N]`
 * Prints Markdown tables and one JSON line.
 */
import { AgentSpec } from '@autonoma/core';
import { queryRows, sql } from '../../packages/platform/src/store/index.ts';
import type { RecordedRequest } from '../../packages/platform/test/fixtures/openai-server.ts';
import { startOpenAiFixture } from '../../packages/platform/test/fixtures/openai-server.ts';
import {
  environment,
  fixed,
  intFlag,
  median,
  parseFlags,
  startCluster,
  stopWorkers,
  table,
  waitAllFinalized,
  workerReady,
  type Cluster,
} from '../jobs/harness.ts';

const flags = parseFlags(process.argv.slice(2), ['postgres']);
const rounds = intFlag(flags, 'rounds', flags.quick ? 3 : 10);
const children = intFlag(flags, 'children', 10);
const workerCount = intFlag(flags, 'workers', 2);
const concurrency = intFlag(flags, 'concurrency', 10);
const warmup = flags.quick ? 1 : 2;

/** The goal of the run a request is for (the first user message, `Goal: …`). */
function goalOf(request: RecordedRequest): string {
  const body = request.body as { messages?: { role?: string; content?: unknown }[] };
  const first = (body.messages ?? []).find(
    (message) => message.role === 'user' && typeof message.content === 'string',
  );
  return typeof first?.content === 'string' ? first.content : '';
}

/** A parent's first call delegates; every other call answers at once. */
const model = await startOpenAiFixture((request) => {
  const body = request.body as { messages?: { role?: string }[] };
  const answered = (body.messages ?? []).some((message) => message.role === 'tool');
  if (goalOf(request).includes('parent') && !answered)
    return {
      kind: 'tool-calls',
      calls: Array.from({ length: children }, (_, index) => ({
        name: 'delegate',
        input: { goal: `child ${index}` },
      })),
      usage: { inputTokens: 20, outputTokens: 8 },
    };
  return { kind: 'text', text: 'done', usage: { inputTokens: 10, outputTokens: 2 } };
});

/** `at` of the first event of `type` (and `step`, when given) in a run's log. */
async function eventAt(cluster: Cluster, runId: string, type: string, step?: number): Promise<number> {
  const rows = await queryRows(
    cluster.app.database.executor,
    step === undefined
      ? sql`SELECT min(at) AS at FROM run_events WHERE run_id = ${runId} AND type = ${type}`
      : sql`SELECT min(at) AS at FROM run_events
            WHERE run_id = ${runId} AND type = ${type} AND (payload->>'step')::int = ${step}`,
  );
  const at = Number(rows[0]?.at);
  if (!Number.isFinite(at))
    throw new Error(`run ${runId} has no ${type} event${step ? ` at step ${step}` : ''}`);
  return at;
}

async function start(cluster: Cluster, goal: string): Promise<string> {
  const run = await cluster.app.services.runs.start(cluster.app.localScope, {
    goal,
    agent: 'tree',
    enqueue: true,
  });
  return run.id;
}

const cluster = await startCluster({
  env: { LOG_LEVEL: 'error', AUTONOMA_MODEL_BASE_URL: `${model.url}/v1` },
});
try {
  await cluster.app.services.agents.put(
    cluster.app.localScope,
    AgentSpec.parse({ name: 'tree', tools: ['delegate'], budgets: { maxSteps: 1000 } }),
  );
  const workers = Array.from({ length: workerCount }, () =>
    cluster.startWorker(['--concurrency', String(concurrency)]),
  );
  await Promise.all(workers.map((worker) => workerReady(worker)));
  const delegationMs: number[] = [];
  const floorMs: number[] = [];
  for (let round = 0; round < warmup + rounds; round += 1) {
    const loose = await Promise.all(
      Array.from({ length: children }, (_, index) => start(cluster, `loose ${index}`)),
    );
    await waitAllFinalized(cluster, loose);
    const looseRuns = await cluster.runs(loose);
    const ends = await Promise.all(loose.map((id) => eventAt(cluster, id, 'run-end')));
    const floor = Math.max(...ends) - Math.min(...looseRuns.map((run) => run.createdAt));

    const parent = await start(cluster, 'parent');
    await waitAllFinalized(cluster, [parent]);
    const [ended] = await cluster.runs([parent]);
    const tree = await cluster.app.database.stores.runs.list({
      orgId: cluster.app.localScope.orgId,
      parentRunId: parent,
      limit: 1000,
    });
    if (ended?.status !== 'succeeded' || tree.length !== children)
      throw new Error(`parent ended ${ended?.status} with ${tree.length} children`);
    const delegation =
      (await eventAt(cluster, parent, 'step-end', 2)) - (await eventAt(cluster, parent, 'delegate-start'));
    if (round < warmup) continue;
    floorMs.push(floor);
    delegationMs.push(delegation);
  }
  await stopWorkers(workers);
  console.log(
    `## Delegation overhead in the cluster: 1 parent → ${children} children of one instant model step, ${workerCount} workers × concurrency ${concurrency}, PostgreSQL + BullMQ\n`,
  );
  console.log(
    table(
      [
        'rounds',
        'delegate step → resumed step (median ms)',
        `floor: ${children} loose runs, created → all ended (median ms)`,
        'ratio',
        'each round (ms)',
      ],
      [
        [
          String(rounds),
          fixed(median(delegationMs)),
          fixed(median(floorMs)),
          fixed(median(delegationMs) / median(floorMs)),
          delegationMs.map((ms) => fixed(ms, 0)).join(', '),
        ],
      ],
    ),
  );
  console.log(
    JSON.stringify({
      bench: 'delegation-cluster',
      children,
      workers: workerCount,
      concurrency,
      delegationMs,
      floorMs,
      environment: await environment(),
    }),
  );
} finally {
  await cluster.close();
  await model.close();
}
