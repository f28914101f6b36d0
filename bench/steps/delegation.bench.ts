/**
 * Delegation overhead, in one process: a parent fans out to 10 children of one instant step each.
 * Measured: the time from the parent's delegating step (committed, children created) to its resumed
 * step (children's outcomes collected and committed), with the 10 children advanced concurrently in
 * between — against a floor of 10 independent one-step runs advanced concurrently.
 *
 * Run: `node bench/steps/delegation.bench.ts [--store postgres|pglite|pglite-dir|all] [--quick]
 *        [--rounds N] [--children N] [--url postgres://…]`
 * Prints Markdown tables and one JSON line.
 */
import { performance } from 'node:perf_hooks';
import {
  AgentSpec,
  ToolRegistry,
  advanceRun,
  createDelegateTool,
  systemClock,
  type Agent,
  type AgentRuntime,
  type Brain,
  type Run,
} from '@autonoma/core';
import type { Database } from '../../packages/platform/src/store/index.ts';
import {
  benchOrg,
  echoTool,
  environment,
  fixed,
  intFlag,
  leaseRun,
  median,
  openBenchStore,
  parseFlags,
  table,
  type BenchStore,
} from './harness.ts';

const flags = parseFlags(process.argv.slice(2), ['postgres', 'pglite']);
const rounds = intFlag(flags, 'rounds', flags.quick ? 5 : 20);
const children = intFlag(flags, 'children', 10);
const warmup = flags.quick ? 1 : 3;

/** The parent delegates `children` sub-goals at step 1 and finishes at step 2; every other run finishes at once. */
const brain: Brain = {
  name: 'bench-tree',
  decide: async (context) => {
    if (context.run.goal.text === 'parent' && context.step === 1)
      return {
        kind: 'delegate',
        tasks: Array.from({ length: children }, (_, index) => ({ goal: `child ${index}` })),
      };
    return { kind: 'finish', status: 'succeeded', answer: `done: ${context.run.goal.text}` };
  },
};

async function createAgent(database: Database): Promise<Agent> {
  await database.stores.organizations.ensure({ id: benchOrg, name: 'bench', createdAt: Date.now() });
  const spec = AgentSpec.parse({
    name: 'bench-tree',
    tools: ['delegate', 'echo'],
    budgets: { maxSteps: 1000 },
  });
  return database.stores.agents.upsert(benchOrg, spec, { id: 'agt_tree', now: Date.now() });
}

let counter = 0;
async function createRun(database: Database, agent: Agent, goal: string): Promise<Run> {
  counter += 1;
  const { run } = await database.stores.runs.create({
    id: `run_${process.pid}_${counter}`,
    orgId: benchOrg,
    agentId: agent.id,
    goal: { text: goal },
    budgets: agent.budgets,
    workspace: '/tmp',
    now: Date.now(),
  });
  return run;
}

/** Leases a run and advances it until it stops. */
async function advance(database: Database, runtime: AgentRuntime, agent: Agent, run: Run): Promise<Run> {
  const lease = await leaseRun(database, run);
  const fresh = (await database.stores.runs.get(benchOrg, run.id)) ?? run;
  const result = await advanceRun(runtime, { run: fresh, lease, agent, leaseTtlMs: 60_000 });
  await database.stores.runs.releaseLease(lease);
  return result.run;
}

interface StoreResult {
  store: string;
  label: string;
  delegationMs: number[];
  floorMs: number[];
}

async function measure(bench: BenchStore): Promise<StoreResult> {
  const { database } = bench;
  const agent = await createAgent(database);
  const runtime: AgentRuntime = {
    runs: database.stores.runs,
    toolCalls: database.stores.toolCalls,
    tools: new ToolRegistry([createDelegateTool(database.stores.agents), echoTool]),
    brain,
    clock: systemClock,
  };
  const result: StoreResult = { store: bench.kind, label: bench.label, delegationMs: [], floorMs: [] };
  for (let round = 0; round < warmup + rounds; round += 1) {
    // Floor: the same children's work without a parent, advanced concurrently.
    const loose = await Promise.all(
      Array.from({ length: children }, (_, index) => createRun(database, agent, `loose ${index}`)),
    );
    const floorStart = performance.now();
    await Promise.all(loose.map((run) => advance(database, runtime, agent, run)));
    const floorMs = performance.now() - floorStart;

    const parent = await createRun(database, agent, 'parent');
    const waiting = await advance(database, runtime, agent, parent);
    if (waiting.status !== 'waiting_children') throw new Error(`parent is ${waiting.status}, not waiting`);
    const delegated = performance.now();
    const tree = await database.stores.runs.list({ orgId: benchOrg, parentRunId: parent.id, limit: 1000 });
    if (tree.length !== children) throw new Error(`expected ${children} children, found ${tree.length}`);
    await Promise.all(tree.map((child) => advance(database, runtime, agent, child)));
    const resumed = await advance(database, runtime, agent, waiting);
    const delegationMs = performance.now() - delegated;
    if (resumed.status !== 'succeeded' || resumed.usage.steps !== 2 + children)
      throw new Error(`parent ended ${resumed.status} after ${resumed.usage.steps} steps`);
    if (round < warmup) continue;
    result.floorMs.push(floorMs);
    result.delegationMs.push(delegationMs);
  }
  return result;
}

const results: StoreResult[] = [];
for (const kind of flags.stores) {
  const bench = await openBenchStore(kind, { url: flags.url });
  try {
    results.push(await measure(bench));
  } finally {
    await bench.close();
  }
}

console.log(`## Delegation overhead: 1 parent → ${children} children of one instant step (in one process)\n`);
console.log(
  table(
    [
      'store',
      'rounds',
      'delegate step → resumed step (median ms)',
      `floor: ${children} loose runs (median ms)`,
      'ratio',
      'per child (ms)',
    ],
    results.map((result) => {
      const delegation = median(result.delegationMs);
      const floor = median(result.floorMs);
      return [
        result.label,
        String(result.delegationMs.length),
        fixed(delegation),
        fixed(floor),
        fixed(delegation / floor),
        fixed(delegation / children),
      ];
    }),
  ),
);
console.log(JSON.stringify({ bench: 'delegation', children, environment: await environment(), results }));
