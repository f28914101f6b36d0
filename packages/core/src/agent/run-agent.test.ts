import { describe, expect, it } from 'vitest';
import { AutonomaError } from '../errors.ts';
import type { BrainDecision } from '../brains/brain.ts';
import type { Lease, Run } from '../protocol/run.ts';
import type { Agent, AgentSpecInput } from '../protocol/agent.ts';
import { AgentSpec } from '../protocol/agent.ts';
import type { RunEvent } from '../protocol/events.ts';
import { ToolRegistry } from '../tools/registry.ts';
import type { AnyTool } from '../tools/define-tool.ts';
import { FixedClock } from '../testing/fixed-clock.ts';
import { ScriptedBrain } from '../testing/scripted-brain.ts';
import type { ScriptedStep } from '../testing/scripted-brain.ts';
import { recordingTool } from '../testing/fake-tools.ts';
import { createInMemoryStores } from '../testing/in-memory-stores.ts';
import type { AgentRuntime } from './runtime.ts';
import { advanceRun } from './run-agent.ts';

const act = (...calls: { tool: string; args: unknown }[]): BrainDecision => ({ kind: 'act', calls });
const finish = (answer: string): BrainDecision => ({ kind: 'finish', status: 'succeeded', answer });

async function setup(script: ScriptedStep[], tools: AnyTool[], agentInput: Partial<AgentSpecInput> = {}) {
  const stores = createInMemoryStores();
  const clock = new FixedClock();
  const brain = new ScriptedBrain(script);
  const agent: Agent = {
    ...AgentSpec.parse({ name: 'tester', ...agentInput }),
    id: 'agt_1',
    orgId: 'org_1',
    createdAt: 0,
    updatedAt: 0,
  };
  const { run } = await stores.runs.create({
    id: 'run_1',
    orgId: 'org_1',
    agentId: agent.id,
    goal: { text: 'test goal' },
    budgets: agent.budgets,
    workspace: '/tmp',
    now: clock.now(),
  });
  const audits: string[] = [];
  const runtime: AgentRuntime = {
    runs: stores.runs,
    toolCalls: stores.toolCalls,
    tools: new ToolRegistry(tools),
    brain,
    clock,
    audit: async (_run, entry) => {
      audits.push(`${entry.action}:${String(entry.detail['tool'])}`);
    },
  };
  const lease = async (owner = 'owner-a'): Promise<Lease> => {
    const taken = await stores.runs.acquireLease('org_1', run.id, {
      owner,
      now: clock.now(),
      ttlMs: 30_000,
      steal: () => true,
    });
    if ('refused' in taken) throw new Error(`lease refused: ${taken.reason}`);
    return taken;
  };
  const latest = async (): Promise<Run> => {
    const found = await stores.runs.get('org_1', run.id);
    if (!found) throw new Error('run vanished');
    return found;
  };
  return { stores, clock, brain, agent, runtime, lease, latest, audits };
}

/** Journals step 1's call as started but never finished: what a crash mid-call leaves behind. */
async function journalStartedCall(
  t: Awaited<ReturnType<typeof setup>>,
  tool: string,
  value: string,
  idempotent: boolean,
): Promise<void> {
  await t.stores.toolCalls.begin(await t.lease(), {
    key: 'run_1:1:0',
    runId: 'run_1',
    step: 1,
    callIndex: 0,
    tool,
    args: { value },
    argsHash: 'x',
    status: 'started',
    idempotent,
    createdAt: t.clock.now(),
  });
}

describe('runAgent', () => {
  it('runs tool steps to a final answer, committing every step with gapless seq', async () => {
    const echo = recordingTool('echo');
    const t = await setup(
      [
        act({ tool: 'echo', args: { value: 'a' } }),
        act({ tool: 'echo', args: { value: 'b' } }),
        finish('done'),
      ],
      [echo],
    );
    const streamed: RunEvent[] = [];
    const result = await advanceRun(t.runtime, {
      run: await t.latest(),
      lease: await t.lease(),
      agent: t.agent,
      sink: (event) => streamed.push(event),
    });
    expect(result.run.status).toBe('succeeded');
    expect(result.run.answer).toBe('done');
    expect(result.run.stepCount).toBe(3);
    expect(echo.calls.map((call) => call.callId)).toEqual(['run_1:1:0', 'run_1:2:0']);
    const events = await t.stores.runs.events('org_1', 'run_1');
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(streamed.map((event) => event.seq)).toEqual(events.map((event) => event.seq));
    expect(events.filter((event) => event.type === 'step-end')).toHaveLength(3);
    expect(events.at(-1)?.type).toBe('run-end');
    expect(events.at(-2)?.type).toBe('step-end');
    const journal = await t.stores.toolCalls.listForRun('org_1', 'run_1');
    expect(journal.map((record) => [record.key, record.status])).toEqual([
      ['run_1:1:0', 'succeeded'],
      ['run_1:2:0', 'succeeded'],
    ]);
    // The second decision saw the first tool result in its working memory.
    expect(t.brain.seen[1]?.transcript.some((entry) => entry.kind === 'tool-result' && entry.ok)).toBe(true);
  });

  it('refuses a tool outside the allowlist whatever the brain asks, tells the brain and audits it', async () => {
    const echo = recordingTool('echo');
    const danger = recordingTool('danger', { risk: 'high' });
    const t = await setup([act({ tool: 'danger', args: { value: 'x' } }), finish('ok')], [echo, danger], {
      tools: ['echo'],
    });
    const result = await advanceRun(t.runtime, {
      run: await t.latest(),
      lease: await t.lease(),
      agent: t.agent,
    });
    expect(result.run.status).toBe('succeeded');
    expect(danger.calls).toHaveLength(0);
    const refused = t.brain.seen[1]?.transcript.find((entry) => entry.kind === 'tool-result');
    expect(refused).toMatchObject({ ok: false, error: { code: 'tool_not_allowed' } });
    expect(t.audits).toEqual(['tool.refused:danger']);
  });

  it('rejects arguments that break the schema with a message naming the field', async () => {
    const echo = recordingTool('echo');
    const t = await setup([act({ tool: 'echo', args: { value: 3, extra: true } }), finish('ok')], [echo]);
    await advanceRun(t.runtime, { run: await t.latest(), lease: await t.lease(), agent: t.agent });
    expect(echo.calls).toHaveLength(0);
    const result = t.brain.seen[1]?.transcript.find((entry) => entry.kind === 'tool-result');
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
    expect(JSON.stringify(result)).toContain('value');
  });

  it('breaks off an identical call repeated past the loop guard', async () => {
    const echo = recordingTool('echo');
    const same = act({ tool: 'echo', args: { value: 'same' } });
    const t = await setup([same, same, same, same, finish('ok')], [echo]);
    await advanceRun(t.runtime, {
      run: await t.latest(),
      lease: await t.lease(),
      agent: t.agent,
      loopGuardLimit: 3,
    });
    expect(echo.calls).toHaveLength(3);
    const last = t.brain.seen[4]?.transcript.filter((entry) => entry.kind === 'tool-result').at(-1);
    expect(last).toMatchObject({ ok: false, error: { code: 'loop_detected' } });
  });

  it('ends budget_exceeded when the step budget runs out', async () => {
    const echo = recordingTool('echo');
    const t = await setup(
      Array.from({ length: 10 }, (_, index) => act({ tool: 'echo', args: { value: String(index) } })),
      [echo],
      { budgets: { maxSteps: 3 } },
    );
    const result = await advanceRun(t.runtime, {
      run: await t.latest(),
      lease: await t.lease(),
      agent: t.agent,
    });
    expect(result.run.status).toBe('budget_exceeded');
    expect(result.run.reason).toContain('steps budget');
    expect(echo.calls).toHaveLength(3);
  });

  it('yields after a slice of steps and continues where it stopped', async () => {
    const echo = recordingTool('echo');
    const t = await setup(
      [
        act({ tool: 'echo', args: { value: 'a' } }),
        act({ tool: 'echo', args: { value: 'b' } }),
        finish('done'),
      ],
      [echo],
    );
    const first = await advanceRun(t.runtime, {
      run: await t.latest(),
      lease: await t.lease(),
      agent: t.agent,
      sliceSteps: 1,
    });
    expect(first).toMatchObject({ end: 'yielded', run: { status: 'running', stepCount: 1 } });
    const second = await advanceRun(t.runtime, {
      run: await t.latest(),
      lease: await t.lease('owner-b'),
      agent: t.agent,
    });
    expect(second.run.status).toBe('succeeded');
    expect(echo.calls.map((call) => call.callId)).toEqual(['run_1:1:0', 'run_1:2:0']);
  });

  it('after a crash before the step commit, replays a completed call from the journal and re-runs only the idempotent one', async () => {
    const pay = recordingTool('pay', { idempotent: false });
    const lookup = recordingTool('lookup', { idempotent: true });
    const t = await setup(
      [
        act({ tool: 'pay', args: { value: '10' } }, { tool: 'lookup', args: { value: 'receipt' } }),
        finish('done'),
      ],
      [pay, lookup],
    );
    const realCommit = t.stores.runs.commitStep.bind(t.stores.runs);
    let crashes = 1;
    t.stores.runs.commitStep = async (lease, commit) => {
      if (commit.stepCount === 1 && crashes-- > 0) throw new Error('process died before the commit');
      return realCommit(lease, commit);
    };
    await expect(
      advanceRun(t.runtime, { run: await t.latest(), lease: await t.lease(), agent: t.agent }),
    ).rejects.toThrow('process died');
    expect((await t.latest()).stepCount).toBe(0);
    // The first call's completion was journalled as soon as it returned; the last one's rides on the commit.
    expect((await t.stores.toolCalls.listForRun('org_1', 'run_1')).map((record) => record.status)).toEqual([
      'succeeded',
      'started',
    ]);
    const result = await advanceRun(t.runtime, {
      run: await t.latest(),
      lease: await t.lease('owner-b'),
      agent: t.agent,
    });
    expect(result.run.status).toBe('succeeded');
    expect(pay.calls).toHaveLength(1);
    expect(lookup.calls.map((call) => call.callId)).toEqual(['run_1:1:1', 'run_1:1:1']);
    const ends = (await t.stores.runs.events('org_1', 'run_1')).filter(
      (event) => event.type === 'tool-call-end',
    );
    expect(
      ends.map((event) => (event.type === 'tool-call-end' ? [event.tool, event.fromJournal] : [])),
    ).toEqual([
      ['pay', true],
      ['lookup', false],
    ]);
  });

  it('ends needs_review when a non-idempotent call was started but never finished, without running it again', async () => {
    const pay = recordingTool('pay', { idempotent: false });
    const t = await setup([act({ tool: 'pay', args: { value: '10' } }), finish('done')], [pay]);
    await journalStartedCall(t, 'pay', '10', false);
    const result = await advanceRun(t.runtime, {
      run: await t.latest(),
      lease: await t.lease('owner-b'),
      agent: t.agent,
    });
    expect(result.run.status).toBe('needs_review');
    expect(result.run.reason).toContain('run_1:1:0');
    expect(pay.calls).toHaveLength(0);
    expect(t.brain.seen).toHaveLength(0);
  });

  it('re-runs a started idempotent call with the same key', async () => {
    const fetcher = recordingTool('fetcher', { idempotent: true });
    const t = await setup([act({ tool: 'fetcher', args: { value: 'u' } }), finish('done')], [fetcher]);
    await journalStartedCall(t, 'fetcher', 'u', true);
    const result = await advanceRun(t.runtime, {
      run: await t.latest(),
      lease: await t.lease('owner-b'),
      agent: t.agent,
    });
    expect(result.run.status).toBe('succeeded');
    expect(fetcher.calls.map((call) => call.callId)).toEqual(['run_1:1:0']);
  });

  it('a stale lease holder cannot commit: its step is fenced and nothing is written', async () => {
    const echo = recordingTool('echo');
    const t = await setup(
      [
        async () => {
          // Another process takes the lease while this step is in flight.
          await t.lease('owner-b');
          return act({ tool: 'echo', args: { value: 'a' } });
        },
      ],
      [echo],
    );
    const lease = await t.lease('owner-a');
    await expect(
      advanceRun(t.runtime, { run: await t.latest(), lease, agent: t.agent }),
    ).rejects.toMatchObject({ code: 'fenced' });
    // Nothing, not even the run's start (it rides on the first step's commit), was written.
    expect(await t.stores.runs.events('org_1', 'run_1')).toEqual([]);
    expect((await t.latest()).stepCount).toBe(0);
  });

  it('cancel aborts the in-flight tool and no new step starts', async () => {
    const slow = recordingTool('slow', { delayMs: 60_000 });
    const t = await setup([act({ tool: 'slow', args: { value: 'x' } }), finish('never')], [slow]);
    const controller = new AbortController();
    const running = advanceRun(t.runtime, {
      run: await t.latest(),
      lease: await t.lease(),
      agent: t.agent,
      signal: controller.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    const result = await running;
    expect(result.run.status).toBe('cancelled');
    expect(t.brain.seen).toHaveLength(1);
    const end = (await t.stores.runs.events('org_1', 'run_1')).find(
      (event) => event.type === 'tool-call-end',
    );
    expect(end).toMatchObject({ ok: false, error: { code: 'aborted' } });
  });

  it('cancel during the brain’s call ends the run cancelled, not failed by the aborted call', async () => {
    // As the model brain does: an aborted model call is a failed decision.
    const aborted = (context: { signal: AbortSignal }): Promise<BrainDecision> =>
      new Promise((resolve) => {
        context.signal.addEventListener('abort', () =>
          resolve({ kind: 'finish', status: 'failed', answer: 'the model call was cancelled' }),
        );
      });
    const t = await setup([aborted], []);
    const controller = new AbortController();
    const running = advanceRun(t.runtime, {
      run: await t.latest(),
      lease: await t.lease(),
      agent: t.agent,
      signal: controller.signal,
    });
    while (t.brain.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const result = await running;
    expect(result.run).toMatchObject({ status: 'cancelled', reason: 'cancelled by request' });
  });

  it('pauses for approval, then runs the approved call under its original key', async () => {
    const deploy = recordingTool('deploy', { risk: 'high' });
    const t = await setup([act({ tool: 'deploy', args: { value: 'prod' } }), finish('deployed')], [deploy], {
      tools: ['deploy'],
      approval: { tools: ['deploy'] },
    });
    const paused = await advanceRun(t.runtime, {
      run: await t.latest(),
      lease: await t.lease(),
      agent: t.agent,
    });
    expect(paused.run.status).toBe('waiting_approval');
    expect(deploy.calls).toHaveLength(0);
    const request = (await t.stores.runs.events('org_1', 'run_1')).find(
      (event) => event.type === 'approval-request',
    );
    expect(request).toMatchObject({ callId: 'run_1:1:0', tool: 'deploy' });
    expect(
      await t.stores.toolCalls.resolve('org_1', 'run_1:1:0', {
        from: 'awaiting_approval',
        to: 'approved',
        result: null,
        now: t.clock.now(),
      }),
    ).toBe(true);
    const queued = await t.stores.runs.transition(
      'org_1',
      'run_1',
      { status: 'waiting_approval', version: paused.run.version },
      {
        status: 'queued',
        now: t.clock.now(),
        events: [{ type: 'approval-resolve', callId: 'run_1:1:0', approved: true }],
      },
    );
    expect(queued?.run.status).toBe('queued');
    const done = await advanceRun(t.runtime, {
      run: await t.latest(),
      lease: await t.lease('owner-b'),
      agent: t.agent,
    });
    expect(done.run.status).toBe('succeeded');
    expect(deploy.calls.map((call) => call.callId)).toEqual(['run_1:1:0']);
  });

  it('streams text-delta to the sink but never stores it', async () => {
    const t = await setup(
      [
        (context) => {
          context.emit({ type: 'text-delta', step: context.step, delta: 'thinking…' });
          return finish('answer');
        },
      ],
      [],
    );
    const streamed: RunEvent[] = [];
    await advanceRun(t.runtime, {
      run: await t.latest(),
      lease: await t.lease(),
      agent: t.agent,
      sink: (event) => streamed.push(event),
    });
    expect(streamed.some((event) => event.type === 'text-delta')).toBe(true);
    expect((await t.stores.runs.events('org_1', 'run_1')).some((event) => event.type === 'text-delta')).toBe(
      false,
    );
  });

  it('makes a NUL in tool arguments, tool results and the answer storable (U+FFFD) and finishes', async () => {
    const echo = recordingTool('echo');
    const t = await setup(
      [
        act({ tool: 'echo', args: { value: 'a\u0000b' } }),
        (context) => {
          context.emit({ type: 'text-delta', step: context.step, delta: 'x\u0000' });
          return finish('done\u0000!');
        },
      ],
      [echo],
    );
    const streamed: RunEvent[] = [];
    const result = await advanceRun(t.runtime, {
      run: await t.latest(),
      lease: await t.lease(),
      agent: t.agent,
      sink: (event) => streamed.push(event),
    });
    expect(result.run.status).toBe('succeeded');
    expect(result.run.answer).toBe('done\uFFFD!');
    // What ran is what was journalled: the tool got the cleaned arguments.
    expect(echo.calls.map((call) => call.input)).toEqual([{ value: 'a\uFFFDb' }]);
    const [record] = await t.stores.toolCalls.listForRun('org_1', 'run_1');
    expect(record?.args).toEqual({ value: 'a\uFFFDb' });
    expect(record?.result).toEqual({ echoed: 'a\uFFFDb' });
    expect(JSON.stringify(streamed)).not.toContain('\\u0000');
    expect(JSON.stringify(await t.stores.runs.events('org_1', 'run_1'))).not.toContain('\\u0000');
  });

  it('ends the run failed when the store refuses a step for good, and never repeats its tool call', async () => {
    const effect = recordingTool('effect', { idempotent: false });
    const t = await setup([act({ tool: 'effect', args: { value: 'once' } }), finish('never')], [effect]);
    let refusals = 0;
    const store = t.stores.runs;
    const commitStep: typeof store.commitStep = async (lease, commit) => {
      if (commit.stepCount === 1 && refusals === 0) {
        refusals += 1;
        throw new AutonomaError(
          'store_rejected',
          'the store refused the data: value too long (SQLSTATE 54000)',
        );
      }
      return store.commitStep(lease, commit);
    };
    const refusing = new Proxy(store, {
      get: (target, property) => {
        if (property === 'commitStep') return commitStep;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const runtime = { ...t.runtime, runs: refusing };
    const result = await advanceRun(runtime, {
      run: await t.latest(),
      lease: await t.lease(),
      agent: t.agent,
    });
    expect(result.run.status).toBe('failed');
    expect(result.run.reason).toContain('step 1 could not be stored');
    expect(result.run.reason).toContain('SQLSTATE 54000');
    expect(effect.calls).toHaveLength(1);
    const events = await t.stores.runs.events('org_1', 'run_1');
    expect(events.find((event) => event.type === 'error')).toMatchObject({ code: 'step_not_storable' });
    const [record] = await t.stores.toolCalls.listForRun('org_1', 'run_1');
    expect(record?.status).toBe('succeeded');
    // Terminal: nothing can advance it again, so the effect cannot be repeated.
    const retaken = await t.stores.runs.acquireLease('org_1', 'run_1', {
      owner: 'other',
      now: t.clock.now(),
      ttlMs: 1000,
    });
    expect(retaken).toMatchObject({ refused: true, reason: 'terminal' });
  });

  it('pauses a high-risk tool for approval under the default policy; minRisk none turns that off', async () => {
    const deploy = recordingTool('deploy', { risk: 'high' });
    const paused = await setup([act({ tool: 'deploy', args: { value: 'x' } }), finish('ok')], [deploy], {
      tools: ['deploy'],
    });
    const first = await advanceRun(paused.runtime, {
      run: await paused.latest(),
      lease: await paused.lease(),
      agent: paused.agent,
    });
    expect(first.run.status).toBe('waiting_approval');
    expect(deploy.calls).toHaveLength(0);
    const free = await setup([act({ tool: 'deploy', args: { value: 'x' } }), finish('ok')], [deploy], {
      tools: ['deploy'],
      approval: { minRisk: 'none' },
    });
    const second = await advanceRun(free.runtime, {
      run: await free.latest(),
      lease: await free.lease(),
      agent: free.agent,
    });
    expect(second.run.status).toBe('succeeded');
    expect(deploy.calls).toHaveLength(1);
  });
});
