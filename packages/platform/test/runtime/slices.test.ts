/**
 * A run advanced in 1-step slices by fresh service instances (as separate workers would) on PGlite and
 * PostgreSQL; reflection exactly once when the process dies between the terminal commit and
 * reflection, and between reflection's writes; cancel from another instance through the event bus.
 */
import { mkdtempSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Clock, EventBus, RunEvent, RunHooks, Scope } from '@autonoma/core';
import {
  AgentSpec,
  createPlannerBrain,
  defaultOrgId,
  dependencyError,
  randomIds,
  systemClock,
} from '@autonoma/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalEventBus } from '../../src/events/local-event-bus.ts';
import { createLearningHooks } from '../../src/learning/learning-hooks.ts';
import { runSignature } from '../../src/learning/signature.ts';
import { createRedactor } from '../../src/security/redact.ts';
import { RunService } from '../../src/services/run-service.ts';
import { createDatabase, type Database, type Stores } from '../../src/store/index.ts';
import { createSkillTools } from '../../src/tools/skills/index.ts';
import { ToolRegistry } from '@autonoma/core';
import { repositoryRoot } from '../support/cli.ts';
import { createTestDatabase } from '../support/postgres.ts';

const scope: Scope = { orgId: defaultOrgId, actor: 'test' };
const spec = JSON.parse(readFileSync(resolve(repositoryRoot, 'examples/audit.json'), 'utf8')) as {
  goal: string;
  facts: string[];
  inputs: Record<string, unknown>;
};

interface StoreCase {
  name: string;
  open: () => Promise<{ database: Database; drop: () => Promise<void> }>;
}

const cases: StoreCase[] = [
  {
    name: 'pglite',
    open: async () => ({ database: await createDatabase({ kind: 'pglite' }), drop: async () => undefined }),
  },
  {
    name: 'postgres',
    open: async () => {
      const scratch = await createTestDatabase('autonoma_slices');
      const database = await createDatabase({ kind: 'postgres', url: scratch.url });
      await database.migrate();
      return { database, drop: scratch.drop };
    },
  },
];

/** A fresh "process": its own service instance over the shared store (no state carried in memory). */
function serviceOver(
  stores: Stores,
  options: { hooks?: RunHooks; bus?: EventBus; owner: string; clock?: Clock },
) {
  const tools = new ToolRegistry(createSkillTools());
  const planner = createPlannerBrain({
    stats: (context) => stores.stats.get(context.run.orgId, context.run.agentId, runSignature(context.run)),
  });
  return new RunService({
    runs: stores.runs,
    toolCalls: stores.toolCalls,
    agents: stores.agents,
    audit: stores.audit,
    tools,
    brainFor: () => planner,
    clock: options.clock ?? systemClock,
    ids: randomIds,
    redact: createRedactor([]),
    owner: options.owner,
    canSteal: () => false,
    ...(options.bus ? { bus: options.bus } : {}),
    hooks:
      options.hooks ??
      createLearningHooks({
        memories: stores.memories,
        stats: stores.stats,
        plans: stores.plans,
        clock: systemClock,
      }),
  });
}

const shape = (events: RunEvent[]) =>
  events.map((event) =>
    event.type === 'tool-call-start'
      ? `${event.type}:${event.tool}:${JSON.stringify(event.args)}`
      : event.type === 'step-end'
        ? `${event.type}:${event.outcome.kind}`
        : event.type,
  );

describe.each(cases)('runs in slices across service instances [$name]', (storeCase) => {
  let database: Database;
  let drop: () => Promise<void>;
  let workspace: string;

  beforeAll(async () => {
    ({ database, drop } = await storeCase.open());
    workspace = mkdtempSync(join(tmpdir(), 'autonoma-slices-'));
    const { cpSync } = await import('node:fs');
    cpSync(resolve(repositoryRoot, 'examples'), join(workspace, 'examples'), { recursive: true });
    for (const name of ['whole', 'sliced', 'crash-a', 'crash-b', 'cancel'])
      await database.stores.agents.upsert(defaultOrgId, AgentSpec.parse({ name, brain: 'planner' }), {
        id: `agt_${name}`,
        now: 0,
      });
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  const start = (service: RunService, agent: string) =>
    service.start(scope, {
      goal: spec.goal,
      spec: { facts: spec.facts, inputs: spec.inputs },
      agent,
      workspace,
    });

  it('gives the same events and answer in 1-step slices on fresh instances as in one advance', async () => {
    const whole = serviceOver(database.stores, { owner: 'whole' });
    const wholeRun = await start(whole, 'whole');
    expect((await whole.advance(scope, wholeRun.id)).run.status).toBe('succeeded');
    const first = serviceOver(database.stores, { owner: 'first' });
    const run = await start(first, 'sliced');
    const ends: string[] = [];
    for (let slice = 0; slice < 20; slice += 1) {
      // Every slice on a new instance, alternating owners, the run read from the store each time.
      const worker = serviceOver(database.stores, { owner: `worker-${slice}` });
      const result = await worker.advance(scope, run.id, { sliceSteps: 1 });
      ends.push(result.end);
      if (result.end === 'ended') break;
    }
    expect(ends.at(-1)).toBe('ended');
    expect(ends.filter((end) => end === 'yielded').length).toBeGreaterThan(1);
    const sliced = await first.events(scope, run.id);
    const reference = await whole.events(scope, wholeRun.id);
    expect(shape(sliced)).toEqual(shape(reference));
    expect(sliced.filter((event) => event.type === 'run-start')).toHaveLength(1);
    expect(sliced.filter((event) => event.type === 'memory-recall').length).toBeLessThanOrEqual(1);
    expect(sliced.at(-1)?.type).toBe('run-end');
    const finished = await first.get(scope, run.id);
    expect(finished.answer).toBe((await whole.get(scope, wholeRun.id)).answer);
  });

  it.each([
    ['between the terminal commit and reflection', 'crash-a', 'start'],
    ['between reflection’s writes', 'crash-b', 'plan'],
  ] as const)('reflects exactly once when the process dies %s', async (_label, agent, at) => {
    const { stores } = database;
    const learning = createLearningHooks({
      memories: stores.memories,
      stats: stores.stats,
      plans: stores.plans,
      clock: systemClock,
    });
    // The dying process: its store connection goes away at one point of reflection.
    const dying: RunHooks = {
      ...learning,
      reflect: async (run, agentOf, events) => {
        if (at === 'start') throw dependencyError('the process died before reflecting');
        const plans = new Proxy(stores.plans, {
          get: (target, property) =>
            property === 'recordRun'
              ? async () => {
                  throw dependencyError('the process died between reflection writes');
                }
              : (Reflect.get(target, property, target) as unknown),
        });
        const partial = createLearningHooks({
          memories: stores.memories,
          stats: stores.stats,
          plans,
          clock: systemClock,
        });
        return partial.reflect ? partial.reflect(run, agentOf, events) : [];
      },
    };
    const first = serviceOver(stores, { owner: 'dying', hooks: dying });
    const run = await start(first, agent);
    await expect(first.advance(scope, run.id)).rejects.toMatchObject({ code: 'dependency_unavailable' });
    const left = await first.get(scope, run.id);
    expect(left.status).toBe('succeeded');
    expect(left.finalizedAt).toBeNull();
    // The next process finds it once the dead one's grace (a lease length) is over, and finalizes it.
    const later: Clock = { now: () => Date.now() + 31_000, sleep: systemClock.sleep };
    const next = serviceOver(stores, { owner: 'next', clock: later });
    expect((await next.interrupted(scope)).map((found) => found.id)).toContain(run.id);
    expect((await next.advance(scope, run.id)).end).toBe('ended');
    const events = await next.events(scope, run.id);
    expect(events.filter((event) => event.type === 'run-end')).toHaveLength(1);
    expect(events.at(-1)?.type).toBe('run-end');
    const episodes = (
      await stores.memories.list({ orgId: defaultOrgId, kind: 'episode', limit: 100 })
    ).filter((memory) => memory.runId === run.id);
    expect(episodes).toHaveLength(1);
    const [plan] = await stores.plans.list(defaultOrgId, `agt_${agent}`);
    expect(plan?.successes).toBe(1);
    // A third attempt changes nothing.
    await expect(next.advance(scope, run.id)).rejects.toMatchObject({ code: 'run_terminal' });
  });

  it('a cancel from another instance reaches the advancing one through the bus', async () => {
    const { stores } = database;
    const bus = createLocalEventBus({
      readEvents: ({ orgId, runId, afterSeq, limit }) => stores.runs.events(orgId, runId, afterSeq, limit),
    });
    let releaseTool: (() => void) | undefined;
    const started = new Promise<void>((ready) => {
      releaseTool = ready;
    });
    const blocking: RunHooks = {
      observeTool: async () => {
        releaseTool?.();
        // Holds the advancing process between steps, as a long tool call would.
        await new Promise((resolveWait) => setTimeout(resolveWait, 50));
      },
    };
    const advancing = serviceOver(stores, { owner: 'advancing', bus, hooks: blocking });
    const other = serviceOver(stores, { owner: 'other', bus });
    const run = await start(advancing, 'cancel');
    const advanced = advancing.advance(scope, run.id);
    await started;
    const cancelled = await other.cancel(scope, run.id, 'stop now');
    expect(cancelled.status).toBe('cancelled');
    const result = await advanced;
    expect(result.run.status).toBe('cancelled');
    const events = await other.events(scope, run.id);
    expect(events.filter((event) => event.type === 'run-end')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'run-end', status: 'cancelled', reason: 'stop now' });
    await bus.close();
  });
});
