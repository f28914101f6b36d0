import { describe, expect, it } from 'vitest';
import type { BrainDecision } from '../brains/brain.ts';
import type { AgentSpecInput } from '../protocol/agent.ts';
import { AgentSpec } from '../protocol/agent.ts';
import type { RunEvent } from '../protocol/events.ts';
import type { Run } from '../protocol/run.ts';
import type { AnyTool } from '../tools/define-tool.ts';
import { ToolRegistry } from '../tools/registry.ts';
import { FixedClock } from '../testing/fixed-clock.ts';
import { ScriptedBrain } from '../testing/scripted-brain.ts';
import type { ScriptedStep } from '../testing/scripted-brain.ts';
import { recordingTool } from '../testing/fake-tools.ts';
import { createInMemoryStores } from '../testing/in-memory-stores.ts';
import { askUserTool, createDelegateTool } from '../tools/control-tools.ts';
import { InMemoryAgentStore } from '../testing/in-memory-agent-store.ts';
import { advanceRun } from './run-agent.ts';
import type { AgentRuntime, RunHooks } from './runtime.ts';

const act = (...calls: { tool: string; args: unknown }[]): BrainDecision => ({ kind: 'act', calls });
const finish = (answer: string): BrainDecision => ({ kind: 'finish', status: 'succeeded', answer });

/** A run in a fresh in-memory store, and a way to advance it as if each call were another process. */
async function fixture(script: ScriptedStep[], tools: AnyTool[], agentInput: Partial<AgentSpecInput> = {}) {
  const stores = createInMemoryStores();
  const clock = new FixedClock();
  const agent = {
    ...AgentSpec.parse({ name: 'tester', approval: { minRisk: 'none' }, ...agentInput }),
    id: 'agt_1',
    orgId: 'org_1',
    createdAt: 0,
    updatedAt: 0,
  };
  await stores.runs.create({
    id: 'run_1',
    orgId: 'org_1',
    agentId: agent.id,
    goal: { text: 'test goal' },
    budgets: agent.budgets,
    workspace: '/tmp',
    now: clock.now(),
  });
  const prepared: string[] = [];
  const hooks: RunHooks = {
    prepare: async () => {
      prepared.push('prepare');
      return {
        recalled: [],
        reusablePlan: undefined,
        learnedCosts: new Map(),
        events: [{ type: 'memory-recall', step: 1, query: 'test goal', items: [] }],
      };
    },
  };
  const latest = async (): Promise<Run> => {
    const run = await stores.runs.get('org_1', 'run_1');
    if (!run) throw new Error('run vanished');
    return run;
  };
  let owners = 0;
  /** One slice by a fresh "process": its own runtime and brain object, the run read from the store. */
  const slice = async (
    options: { sliceSteps?: number; drain?: AbortSignal; sink?: (event: RunEvent) => void } = {},
  ) => {
    owners += 1;
    const lease = await stores.runs.acquireLease('org_1', 'run_1', {
      owner: `process-${owners}`,
      now: clock.now(),
      ttlMs: 30_000,
      steal: () => true,
    });
    if ('refused' in lease) throw new Error(`lease refused: ${lease.reason}`);
    const runtime: AgentRuntime = {
      runs: stores.runs,
      toolCalls: stores.toolCalls,
      tools: new ToolRegistry(tools),
      brain: new ScriptedBrain(script),
      clock,
      hooks,
    };
    const result = await advanceRun(runtime, { run: await latest(), lease, agent, ...options });
    await stores.runs.releaseLease(lease);
    return result;
  };
  return { stores, clock, agent, slice, latest, prepared };
}

const withoutTimes = (events: RunEvent[]) => events.map(({ at: _at, ...rest }) => rest);

describe('a run advanced in slices', () => {
  it('gives, in 1-step slices across fresh instances, the events, answer and effects of one advance', async () => {
    const script = [
      act({ tool: 'echo', args: { value: 'a' } }),
      act({ tool: 'echo', args: { value: 'b' } }),
      act({ tool: 'echo', args: { value: 'c' } }),
      finish('done'),
    ];
    const whole = recordingTool('echo');
    const one = await fixture(script, [whole]);
    expect((await one.slice()).end).toBe('ended');
    const sliced = recordingTool('echo');
    const many = await fixture(script, [sliced]);
    const ends: string[] = [];
    for (let index = 0; index < 10; index += 1) {
      const result = await many.slice({ sliceSteps: 1 });
      ends.push(result.end);
      if (result.end === 'ended') break;
    }
    expect(ends).toEqual(['yielded', 'yielded', 'yielded', 'ended']);
    const expected = await one.stores.runs.events('org_1', 'run_1');
    const actual = await many.stores.runs.events('org_1', 'run_1');
    expect(withoutTimes(actual)).toEqual(withoutTimes(expected));
    expect(actual.filter((event) => event.type === 'run-start')).toHaveLength(1);
    expect(actual.filter((event) => event.type === 'memory-recall')).toHaveLength(1);
    expect(many.prepared).toEqual(['prepare']);
    expect((await many.latest()).answer).toBe('done');
    expect(sliced.calls.map((call) => call.callId)).toEqual(whole.calls.map((call) => call.callId));
    // Each yield wrote the run's next job in the same commit (the outbox).
    expect(many.stores.runs.outbox()).toHaveLength(1);
  });

  it('drains: the step in progress commits, the run stays runnable, another instance finishes it', async () => {
    const drain = new AbortController();
    const echo = recordingTool('echo');
    const script: ScriptedStep[] = [
      () => {
        drain.abort();
        return act({ tool: 'echo', args: { value: 'a' } });
      },
      act({ tool: 'echo', args: { value: 'b' } }),
      finish('done'),
    ];
    const t = await fixture(script, [echo]);
    const first = await t.slice({ drain: drain.signal });
    expect(first.end).toBe('drained');
    expect(first.run.status).toBe('running');
    expect(first.run.stepCount).toBe(1);
    expect((await t.latest()).leaseOwner).toBeNull();
    expect(t.stores.runs.outbox()).toHaveLength(1);
    const second = await t.slice();
    expect(second.run.status).toBe('succeeded');
    expect(echo.calls).toHaveLength(2);
  });

  it('bounds the working memory the brain sees by memory.workingTokens', async () => {
    const big = 'x'.repeat(2_000);
    const script = Array.from({ length: 12 }, (_, index) =>
      act({ tool: 'echo', args: { value: `${index}${big}` } }),
    );
    const echo = recordingTool('echo');
    const brainSeen: number[] = [];
    const t = await fixture(
      [
        ...script.map((decision): ScriptedStep => (context) => {
          brainSeen.push(JSON.stringify(context.transcript).length);
          return decision;
        }),
        finish('done'),
      ],
      [echo],
      { memory: { workingTokens: 2_000 } },
    );
    await t.slice();
    const latest = await t.latest();
    expect(latest.status).toBe('succeeded');
    // The transcript never grows past the budget (about 4 characters a token) plus the newest entries.
    expect(Math.max(...brainSeen)).toBeLessThan(2_000 * 4 + 2 * 4_200);
    // The window moved: older steps live on as a summary, and a slice reads only the window's events.
    const context = latest.context as { windowFromSeq: number; summary: { text: string } | null };
    expect(context.summary?.text).toContain('echo');
    expect(context.windowFromSeq).toBeGreaterThan(1);
    // The persisted context stays small: pointers and the summary, not the transcript.
    expect(JSON.stringify(latest.context).length).toBeLessThan(2_000 * 4);
  });
});

describe('ways a step can end', () => {
  it('maps a brain that asks, delegates or sleeps to waiting states, persisted as step outcomes', async () => {
    const asking = await fixture([{ kind: 'ask', question: 'which file?' }], [askUserTool]);
    expect((await asking.slice()).run.status).toBe('waiting_input');
    const asked = await asking.stores.runs.events('org_1', 'run_1');
    expect(asked.find((event) => event.type === 'step-end')).toMatchObject({
      outcome: { kind: 'interrupt', on: 'input', question: 'which file?', callId: 'run_1:1:0' },
    });
    const agents = new InMemoryAgentStore();
    await agents.upsert('org_1', AgentSpec.parse({ name: 'tester' }), { id: 'agt_1', now: 0 });
    const delegating = await fixture(
      [{ kind: 'delegate', tasks: [{ goal: 'sub-goal' }] }],
      [createDelegateTool(agents)],
    );
    expect((await delegating.slice()).run.status).toBe('waiting_children');
    const sleeping = await fixture(
      [(context) => ({ kind: 'sleep', until: context.run.createdAt + 60_000 }), finish('woke')],
      [],
    );
    const slept = await sleeping.slice();
    const wakeAt = slept.run.createdAt + 60_000;
    expect(slept).toMatchObject({ end: 'waiting', run: { status: 'sleeping', wakeAt } });
    // Not runnable before its time; after it, it is claimable and continues.
    expect(await sleeping.stores.runs.claimable({ now: sleeping.clock.now(), limit: 5 })).toHaveLength(0);
    sleeping.clock.advance(60_000);
    expect(await sleeping.stores.runs.claimable({ now: sleeping.clock.now(), limit: 5 })).toHaveLength(1);
    expect((await sleeping.slice()).run.status).toBe('succeeded');
  });

  it('maps a tool that hands control back (a question) to the same outcome, naming its call', async () => {
    const t = await fixture([act({ tool: 'ask_user', args: { question: 'ok to proceed?' } })], [askUserTool]);
    const result = await t.slice();
    expect(result.run.status).toBe('waiting_input');
    const end = (await t.stores.runs.events('org_1', 'run_1')).find((event) => event.type === 'step-end');
    expect(end).toMatchObject({
      outcome: { kind: 'interrupt', on: 'input', question: 'ok to proceed?', callId: 'run_1:1:0' },
    });
    expect(JSON.stringify(result.run.context)).toContain('"run_1:1:0":"ask_user"');
  });

  it('gives the answer to the brain, in a fresh slice, as the question’s result', async () => {
    const t = await fixture(
      [
        act({ tool: 'ask_user', args: { question: 'which file?' } }),
        (context) => {
          const asked = context.transcript.find((entry) => entry.kind === 'assistant');
          const answered = context.transcript.find((entry) => entry.kind === 'tool-result');
          return finish(
            `${asked?.kind === 'assistant' ? asked.calls[0]?.tool : '?'} → ${JSON.stringify(answered?.kind === 'tool-result' ? answered.result : null)}`,
          );
        },
      ],
      [askUserTool],
    );
    const asked = (await t.slice()).run;
    // What the service's answer does: the call's result appended, the run queued, in one transition.
    await t.stores.runs.transition(
      'org_1',
      'run_1',
      { status: asked.status, version: asked.version },
      {
        status: 'queued',
        now: t.clock.now(),
        events: [
          {
            type: 'tool-call-end',
            step: 1,
            callId: 'run_1:1:0',
            tool: 'ask_user',
            ok: true,
            result: { answer: 'notes.md' },
            latencyMs: 5,
            fromJournal: false,
          },
        ],
      },
    );
    const done = await t.slice();
    expect(done.run.answer).toBe('ask_user → {"answer":"notes.md"}');
  });

  it('waits for an answer until its wall-time budget runs out, then ends budget_exceeded', async () => {
    const t = await fixture([act({ tool: 'ask_user', args: { question: 'still there?' } })], [askUserTool], {
      budgets: { maxWallMs: 60_000 },
    });
    const asked = (await t.slice()).run;
    expect(asked.status).toBe('waiting_input');
    const deadline = asked.updatedAt + 60_000 - asked.usage.wallMs;
    expect(asked.wakeAt).toBe(deadline);
    // Its deadline job is written with the question.
    expect(t.stores.runs.outbox()).toMatchObject([{ runId: 'run_1', runAt: deadline }]);
    expect(await t.stores.runs.claimable({ now: deadline - 1, limit: 5 })).toHaveLength(0);
    t.clock.advance(60_000);
    expect((await t.stores.runs.claimable({ now: t.clock.now(), limit: 5 })).map((run) => run.id)).toEqual([
      'run_1',
    ]);
    const ended = await t.slice();
    expect(ended.run).toMatchObject({ status: 'budget_exceeded' });
    expect(ended.run.reason).toContain('not answered');
    expect(ended.run.usage.wallMs).toBeGreaterThanOrEqual(60_000);
    const log = await t.stores.runs.events('org_1', 'run_1');
    expect(log.find((event) => event.type === 'error')).toMatchObject({ code: 'input_timeout' });
  });

  it('ends needs_review when a journalled key meets other arguments, without running the call', async () => {
    const pay = recordingTool('pay', { idempotent: false });
    const t = await fixture([act({ tool: 'pay', args: { value: '20' } })], [pay]);
    const lease = await t.stores.runs.acquireLease('org_1', 'run_1', { owner: 'earlier', now: 0, ttlMs: 10 });
    if ('refused' in lease) throw new Error('lease refused');
    // A call journalled (and finished) under the same key with other arguments, then the step lost.
    await t.stores.toolCalls.begin(lease, {
      key: 'run_1:1:0',
      runId: 'run_1',
      step: 1,
      callIndex: 0,
      tool: 'pay',
      args: { value: '10' },
      argsHash: 'other',
      status: 'awaiting_approval',
      idempotent: false,
      createdAt: 0,
    });
    await t.stores.toolCalls.resolve('org_1', 'run_1:1:0', {
      from: 'awaiting_approval',
      to: 'denied',
      result: null,
      now: 0,
    });
    const result = await t.slice();
    expect(result.run.status).toBe('needs_review');
    expect(result.run.reason).toContain('run_1:1:0');
    expect(pay.calls).toHaveLength(0);
  });

  it('fails the run with state_version_mismatch when its stored brain state no longer parses', async () => {
    const { createPlannerBrain } = await import('../brains/planner-brain.ts');
    const t = await fixture([], []);
    const lease = await t.stores.runs.acquireLease('org_1', 'run_1', { owner: 'old', now: 0, ttlMs: 10 });
    if ('refused' in lease) throw new Error('lease refused');
    await t.stores.runs.commitStep(lease, {
      events: [],
      expectedLastSeq: 0,
      status: 'running',
      usage: (await t.latest()).usage,
      stepCount: 0,
      brainState: { kind: 'planner', version: 99, plan: 'not a list' },
      context: (await import('./context.ts')).initialContext(),
      now: 0,
      leaseExpiresAt: 10,
    });
    await t.stores.runs.releaseLease(lease);
    const next = await t.stores.runs.acquireLease('org_1', 'run_1', { owner: 'new', now: 1, ttlMs: 1000 });
    if ('refused' in next) throw new Error('lease refused');
    const result = await advanceRun(
      {
        runs: t.stores.runs,
        toolCalls: t.stores.toolCalls,
        tools: new ToolRegistry([]),
        brain: createPlannerBrain(),
        clock: t.clock,
      },
      { run: await t.latest(), lease: next, agent: t.agent },
    );
    expect(result.run.status).toBe('failed');
    const error = (await t.stores.runs.events('org_1', 'run_1')).find((event) => event.type === 'error');
    expect(error).toMatchObject({ code: 'state_version_mismatch' });
  });
});

describe('the end of a run', () => {
  it('always ends its log with run-end, after the last step-end and the reflection, written once', async () => {
    const reflections: string[] = [];
    const t = await fixture([finish('done')], []);
    const hooks: RunHooks = {
      reflect: async (run) => {
        reflections.push(run.status);
        return [{ type: 'lesson-learned', lesson: 'a lesson', source: 'statistics' }];
      },
    };
    const lease = await t.stores.runs.acquireLease('org_1', 'run_1', { owner: 'a', now: 0, ttlMs: 1000 });
    if ('refused' in lease) throw new Error('lease refused');
    const runtime: AgentRuntime = {
      runs: t.stores.runs,
      toolCalls: t.stores.toolCalls,
      tools: new ToolRegistry([]),
      brain: new ScriptedBrain([finish('done')]),
      clock: t.clock,
      hooks,
    };
    await advanceRun(runtime, { run: await t.latest(), lease, agent: t.agent });
    const types = (await t.stores.runs.events('org_1', 'run_1')).map((event) => event.type);
    expect(types.slice(-3)).toEqual(['step-end', 'lesson-learned', 'run-end']);
    // Finalizing again (another process after a crash) appends nothing.
    const { finalizeRun } = await import('./finalize.ts');
    await finalizeRun(runtime, { run: await t.latest(), agent: t.agent });
    expect(await t.stores.runs.events('org_1', 'run_1')).toHaveLength(types.length);
    expect(reflections).toEqual(['succeeded']);
  });
});
