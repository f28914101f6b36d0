import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { BrainContext, BrainDecision } from '../brains/brain.ts';
import { AgentSpec } from '../protocol/agent.ts';
import type { EventOf, RunEvent } from '../protocol/events.ts';
import { Budgets } from '../protocol/run.ts';
import type { Run } from '../protocol/run.ts';
import { defineTool } from '../tools/define-tool.ts';
import { ToolRegistry } from '../tools/registry.ts';
import { FixedClock } from '../testing/fixed-clock.ts';
import { createInMemoryStores } from '../testing/in-memory-stores.ts';
import { recordingTool } from '../testing/fake-tools.ts';
import { controlResult } from './control.ts';
import { carveBudgets, childRunIdOf, delegateToolName } from './delegation.ts';
import { advanceRun } from './run-agent.ts';
import type { AgentRuntime } from './runtime.ts';

/** The `delegate` tool as the platform defines it, minus the agent lookup: every child runs `agt_1`. */
const delegateTool = defineTool({
  name: delegateToolName,
  description: 'hands a sub-goal to a child run',
  input: z.strictObject({ goal: z.string(), agent: z.string().optional(), budgets: Budgets.optional() }),
  idempotent: true,
  risk: 'low',
  execute: async (input) =>
    controlResult({
      kind: 'delegate',
      tasks: [{ goal: input.goal, agentId: 'agt_1', ...(input.budgets ? { budgets: input.budgets } : {}) }],
    }),
});

type Decide = (context: BrainContext) => BrainDecision;

/**
 * A tree of runs in one in-memory store, each advanced by a fresh "process". The brain answers by run:
 * the root follows `root` step by step; a child finishes with an answer naming its goal (or fails
 * when its goal says so).
 */
async function tree(root: Decide[], options: { budgets?: Budgets; depth?: number } = {}) {
  const stores = createInMemoryStores();
  const clock = new FixedClock();
  const agent = {
    ...AgentSpec.parse({ name: 'tester', approval: { minRisk: 'none' }, tools: ['delegate', 'echo'] }),
    id: 'agt_1',
    orgId: 'org_1',
    createdAt: 0,
    updatedAt: 0,
  };
  await stores.runs.create({
    id: 'run_root',
    orgId: 'org_1',
    agentId: agent.id,
    goal: { text: 'root goal' },
    budgets: options.budgets ?? { maxSteps: 40 },
    workspace: '/tmp',
    depth: options.depth ?? 0,
    now: clock.now(),
  });
  const seen: BrainContext[] = [];
  const brain = {
    name: 'tree',
    decide: async (context: BrainContext): Promise<BrainDecision> => {
      seen.push(context);
      if (context.run.id === 'run_root') {
        const next = root[context.step - 1];
        return next ? next(context) : { kind: 'finish', status: 'succeeded', answer: 'root done' };
      }
      const goal = context.run.goal.text;
      if (goal.includes('fail')) return { kind: 'finish', status: 'failed', answer: `could not ${goal}` };
      return { kind: 'finish', status: 'succeeded', answer: `done: ${goal}` };
    },
  };
  const echo = recordingTool('echo');
  let owners = 0;
  const get = async (id: string): Promise<Run> => {
    const run = await stores.runs.get('org_1', id);
    if (!run) throw new Error(`no run ${id}`);
    return run;
  };
  const advance = async (id: string) => {
    owners += 1;
    const lease = await stores.runs.acquireLease('org_1', id, {
      owner: `process-${owners}`,
      now: clock.now(),
      ttlMs: 30_000,
      steal: () => true,
    });
    if ('refused' in lease) throw new Error(`lease refused: ${lease.reason}`);
    const runtime: AgentRuntime = {
      runs: stores.runs,
      toolCalls: stores.toolCalls,
      tools: new ToolRegistry([delegateTool, echo]),
      brain,
      clock,
    };
    try {
      return await advanceRun(runtime, { run: await get(id), lease, agent });
    } finally {
      await stores.runs.releaseLease(lease);
    }
  };
  const events = (id: string): Promise<RunEvent[]> => stores.runs.events('org_1', id);
  const children = async (): Promise<Run[]> =>
    (await stores.runs.list({ orgId: 'org_1', parentRunId: 'run_root' })).sort((a, b) =>
      a.goal.text.localeCompare(b.goal.text),
    );
  return { stores, clock, seen, advance, get, events, children, echo };
}

const delegateAll =
  (...goals: string[]): Decide =>
  () => ({ kind: 'act', calls: goals.map((goal) => ({ tool: delegateToolName, args: { goal } })) });

const ofType = <T extends RunEvent['type']>(events: RunEvent[], type: T) =>
  events.filter((event): event is EventOf<T> & RunEvent => event.type === type);

describe('delegation to child runs', () => {
  it('starts the children in the delegating commit and resumes the parent once, with their answers and usage', async () => {
    const t = await tree([
      delegateAll('audit a', 'audit b', 'audit c'),
      () => ({ kind: 'finish', status: 'succeeded', answer: 'report' }),
    ]);
    expect((await t.advance('run_root')).end).toBe('waiting');
    const parent = await t.get('run_root');
    expect(parent.status).toBe('waiting_children');
    const children = await t.children();
    expect(children.map((child) => [child.goal.text, child.status, child.depth])).toEqual([
      ['audit a', 'queued', 1],
      ['audit b', 'queued', 1],
      ['audit c', 'queued', 1],
    ]);
    // Each child's id comes from its delegate call's key; each got its first job in the same commit.
    expect(children.map((child) => child.id).sort()).toEqual(
      [0, 1, 2].map((index) => childRunIdOf(`run_root:1:${index}`)).sort(),
    );
    const jobs = t.stores.runs.outbox().map((entry) => entry.runId);
    expect(jobs.sort()).toEqual(children.map((child) => child.id).sort());
    expect(ofType(await t.events('run_root'), 'delegate-start').map((event) => event.goal)).toEqual([
      'audit a',
      'audit b',
      'audit c',
    ]);

    // The parent stays waiting until its last child ends; that child's commit makes it runnable.
    for (const [index, child] of children.entries()) {
      expect((await t.advance(child.id)).end).toBe('ended');
      const status = (await t.get('run_root')).status;
      expect(status).toBe(index < 2 ? 'waiting_children' : 'queued');
    }
    expect(t.stores.runs.outbox().filter((entry) => entry.runId === 'run_root')).toHaveLength(1);

    expect((await t.advance('run_root')).end).toBe('ended');
    const done = await t.get('run_root');
    expect(done.status).toBe('succeeded');
    const log = await t.events('run_root');
    expect(ofType(log, 'delegate-end').map((event) => [event.status, event.answer])).toEqual([
      ['succeeded', 'done: audit a'],
      ['succeeded', 'done: audit b'],
      ['succeeded', 'done: audit c'],
    ]);
    // The brain decided its second step seeing each child's answer as its delegate call's result.
    const second = t.seen.find((context) => context.run.id === 'run_root' && context.step === 2);
    // …after the calls that asked for them (a fresh slice re-reads them from the log).
    const asked = second?.transcript.find((entry) => entry.kind === 'assistant');
    expect(asked?.kind === 'assistant' && asked.calls.map((call) => call.tool)).toEqual([
      delegateToolName,
      delegateToolName,
      delegateToolName,
    ]);
    const results = second?.transcript.filter((entry) => entry.kind === 'tool-result') ?? [];
    expect(
      results.map((entry) => entry.kind === 'tool-result' && (entry.result as { answer: string }).answer),
    ).toEqual(['done: audit a', 'done: audit b', 'done: audit c']);
    // Usage rolls up: the parent's two steps and each child's one.
    const childUsage = (await t.children()).map((child) => child.usage.steps);
    expect(childUsage).toEqual([1, 1, 1]);
    expect(done.usage.steps).toBe(2 + 3);
  });

  it('gives a failed child to the parent as a failed call it can act on', async () => {
    const t = await tree([
      delegateAll('fail this one'),
      (context) => {
        const result = context.transcript.find((entry) => entry.kind === 'tool-result');
        return result?.kind === 'tool-result' && !result.ok
          ? { kind: 'act', calls: [{ tool: delegateToolName, args: { goal: 'try another way' } }] }
          : { kind: 'finish', status: 'failed', answer: 'expected a failure' };
      },
    ]);
    await t.advance('run_root');
    const [failing] = await t.children();
    await t.advance(failing?.id ?? '');
    expect((await t.advance('run_root')).end).toBe('waiting');
    const log = await t.events('run_root');
    const end = ofType(log, 'tool-call-end').find((event) => event.ok === false);
    expect(end?.error?.code).toBe('child_failed');
    expect(end?.error?.message).toContain('could not fail this one');
    expect((await t.children()).map((child) => child.goal.text).sort()).toEqual([
      'fail this one',
      'try another way',
    ]);
  });

  it('creates each child once when the delegating step is retried after a crash', async () => {
    const t = await tree([delegateAll('one', 'two', 'three')]);
    // The first attempt's commit is lost (the process dies before it lands).
    const commit = t.stores.runs.commitStep.bind(t.stores.runs);
    let crashes = 1;
    t.stores.runs.commitStep = async (lease, step) => {
      if (crashes > 0) {
        crashes -= 1;
        throw new Error('process died');
      }
      return commit(lease, step);
    };
    await expect(t.advance('run_root')).rejects.toThrow('process died');
    expect(await t.children()).toHaveLength(0);
    expect((await t.advance('run_root')).end).toBe('waiting');
    const children = await t.children();
    expect(children.map((child) => child.goal.text)).toEqual(['one', 'three', 'two']);
    expect(children.map((child) => child.id).sort()).toEqual(
      [0, 1, 2].map((index) => childRunIdOf(`run_root:1:${index}`)).sort(),
    );
  });

  it('refuses to delegate past the depth limit, with a reason the brain sees', async () => {
    const t = await tree(
      [delegateAll('go deeper'), () => ({ kind: 'finish', status: 'succeeded', answer: 'ok' })],
      {
        depth: 3,
      },
    );
    expect((await t.advance('run_root')).end).toBe('ended');
    const refused = ofType(await t.events('run_root'), 'tool-call-end')[0];
    expect(refused?.error?.code).toBe('delegation_too_deep');
    expect(refused?.error?.message).toContain('limit is 3');
    expect(await t.children()).toHaveLength(0);
  });

  it('carves the children’s budgets from what the parent has left', async () => {
    const t = await tree([delegateAll('a', 'b', 'c')], { budgets: { maxSteps: 10, maxCostUsd: 3 } });
    await t.advance('run_root');
    // One step used: 9 left, 3 each; the cost splits evenly.
    expect((await t.children()).map((child) => child.budgets)).toEqual([
      { maxSteps: 3, maxCostUsd: 1 },
      { maxSteps: 3, maxCostUsd: 1 },
      { maxSteps: 3, maxCostUsd: 1 },
    ]);
    expect(carveBudgets({ maxSteps: 10 }, { ...emptyUsageOf(4) }, { maxSteps: 2, maxTokens: 50 }, 2)).toEqual(
      {
        maxSteps: 2,
        maxTokens: 50,
      },
    );
  });

  it('stops the tree with budget_exceeded when the children spent what the parent had', async () => {
    const t = await tree([delegateAll('a', 'b')], { budgets: { maxSteps: 3 } });
    await t.advance('run_root');
    for (const child of await t.children()) await t.advance(child.id);
    await t.advance('run_root');
    const root = await t.get('run_root');
    expect(root.status).toBe('budget_exceeded');
    expect(root.reason).toContain('steps budget');
  });

  it('cancels the whole tree with its root', async () => {
    const t = await tree([delegateAll('a', 'b')]);
    await t.advance('run_root');
    const root = await t.get('run_root');
    const result = await t.stores.runs.transition(
      'org_1',
      'run_root',
      { status: root.status, version: root.version },
      { status: 'cancelled', reason: 'stop', now: t.clock.now(), cascade: true },
    );
    expect(result?.cascaded?.sort()).toEqual((await t.children()).map((child) => child.id).sort());
    expect((await t.children()).map((child) => [child.status, child.reason])).toEqual([
      ['cancelled', 'stop'],
      ['cancelled', 'stop'],
    ]);
  });
});

function emptyUsageOf(steps: number) {
  return { steps, inputTokens: 0, outputTokens: 0, costUsd: 0, modelCalls: 0, toolCalls: 0, wallMs: 0 };
}
