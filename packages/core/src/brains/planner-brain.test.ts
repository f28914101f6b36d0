import { describe, expect, it } from 'vitest';
import { noOfflineSkillMessage } from '../goals/derive-goal.ts';
import type { ActionStats, ReusablePlan } from '../ports/learning-store.ts';
import type { Agent } from '../protocol/agent.ts';
import type { EventPayload } from '../protocol/events.ts';
import type { Goal, Run } from '../protocol/run.ts';
import { emptyUsage } from '../protocol/run.ts';
import type { ToolDescriptor } from '../tools/define-tool.ts';
import type { BrainDecision, TranscriptEntry } from './brain.ts';
import type { PlannerBrainOptions } from './planner-brain.ts';
import { createPlannerBrain } from './planner-brain.ts';

const descriptor = (name: string, contract?: ToolDescriptor['contract']): ToolDescriptor => ({
  name,
  description: name,
  inputSchema: {},
  risk: 'low',
  idempotent: true,
  ...(contract ? { contract } : {}),
});

const analyze = descriptor('analyze_source_tree', {
  preconditions: [],
  effects: ['source_analyzed', 'findings_available'],
  deletes: ['report_written'],
  cost: 2,
  args: (inputs) => ({ path: inputs['path'] ?? '.' }),
});
const countLines = descriptor('count_lines', {
  preconditions: [],
  effects: ['source_analyzed', 'findings_available'],
  deletes: ['report_written'],
  cost: 1,
  args: (inputs) => ({ path: inputs['path'] ?? '.' }),
});
const writeReport = descriptor('write_report', {
  preconditions: ['findings_available'],
  effects: ['report_written'],
  args: () => ({}),
});
const fsRead = descriptor('fs_read');

const agent = { id: 'agent_1', name: 'default' } as Agent;
const runOf = (goal: Goal): Run => ({
  id: 'run_1',
  orgId: 'org_1',
  agentId: 'agent_1',
  parentRunId: null,
  depth: 0,
  rootRunId: 'run_1',
  conversationId: null,
  goal,
  status: 'running',
  version: 1,
  priority: 'normal',
  budgets: {},
  usage: emptyUsage(),
  lastSeq: 0,
  stepCount: 0,
  brainState: null,
  context: null,
  preparation: null,
  workspace: '/tmp/w',
  wakeAt: null,
  finalizedAt: null,
  answer: null,
  reason: null,
  leaseOwner: null,
  leaseEpoch: 0,
  leaseExpiresAt: null,
  createdAt: 0,
  updatedAt: 0,
  endedAt: null,
});

interface Scenario {
  goal: Goal;
  tools: ToolDescriptor[];
  /** Whether a call succeeds; its result. */
  execute?: (tool: string, args: unknown, attempt: number) => { ok: boolean; result?: unknown };
  reusablePlan?: ReusablePlan;
  learnedCosts?: Map<string, number>;
  options?: PlannerBrainOptions;
}

/** Drives the brain like the loop does, with scripted tool results, until it finishes. */
async function drive(
  scenario: Scenario,
): Promise<{ final: BrainDecision; events: EventPayload[]; calls: { tool: string; args: unknown }[] }> {
  const brain = createPlannerBrain(scenario.options);
  const transcript: TranscriptEntry[] = [];
  const events: EventPayload[] = [];
  const calls: { tool: string; args: unknown }[] = [];
  let brainState: unknown = null;
  for (let step = 1; step <= 30; step++) {
    const decision = await brain.decide({
      run: runOf(scenario.goal),
      agent,
      step,
      transcript,
      tools: scenario.tools,
      recalled: [],
      reusablePlan: scenario.reusablePlan,
      learnedCosts: scenario.learnedCosts ?? new Map(),
      brainState,
      emit: (event) => events.push(event),
      signal: new AbortController().signal,
    });
    brainState = JSON.parse(JSON.stringify(decision.brainState)) as unknown;
    if (decision.kind === 'finish') return { final: decision, events, calls };
    if (decision.kind !== 'act') throw new Error(`the planner never decides ${decision.kind}`);
    for (const [index, call] of decision.calls.entries()) {
      calls.push({ tool: call.tool, args: call.args });
      const callId = `run_1:${step}:${index}`;
      const attempt = calls.filter((made) => made.tool === call.tool).length;
      const outcome = scenario.execute?.(call.tool, call.args, attempt) ?? {
        ok: true,
        result: { summary: `${call.tool} done` },
      };
      transcript.push({
        kind: 'assistant',
        step,
        text: decision.text ?? '',
        calls: [{ callId, tool: call.tool, args: call.args }],
      });
      transcript.push(
        outcome.ok
          ? { kind: 'tool-result', step, callId, tool: call.tool, ok: true, result: outcome.result }
          : {
              kind: 'tool-result',
              step,
              callId,
              tool: call.tool,
              ok: false,
              error: { code: 'boom', message: 'it broke' },
            },
      );
    }
  }
  throw new Error('the planner brain did not finish within 30 steps');
}

const spec = { facts: ['source_analyzed', 'report_written'], inputs: { path: 'src' } };
const reportResult = {
  ok: true,
  result: { summary: 'report with 3 sections', reportPath: 'autonoma-report.md' },
};

describe('planner brain', () => {
  it('plans from a goal spec, follows the plan and finishes with a summary', async () => {
    const { final, events, calls } = await drive({
      goal: { text: 'analyze', spec },
      tools: [writeReport, fsRead, analyze],
      execute: (tool) =>
        tool === 'write_report' ? reportResult : { ok: true, result: { summary: '12 files' } },
    });
    expect(calls).toEqual([
      { tool: 'analyze_source_tree', args: { path: 'src' } },
      { tool: 'write_report', args: {} },
    ]);
    expect(final).toMatchObject({ kind: 'finish', status: 'succeeded' });
    if (final.kind !== 'finish') return;
    expect(final.answer).toContain('analyze_source_tree → write_report');
    expect(final.answer).toContain('Report: autonoma-report.md');
    expect(final.answer).toContain('analyze_source_tree: 12 files');
    const planUpdate = events.find((event) => event.type === 'plan-update');
    expect(planUpdate).toMatchObject({ plan: ['analyze_source_tree', 'write_report'], reused: false });
    expect(planUpdate?.type === 'plan-update' && (planUpdate.expansions ?? 0) > 0).toBe(true);
    const nextActions = events.filter((event) => event.type === 'decision' && event.about === 'next-action');
    expect(nextActions.map((event) => (event.type === 'decision' ? event.chosen : null))).toEqual([
      'analyze_source_tree',
      'write_report',
    ]);
  });

  it('derives the goal from text when there is no spec', async () => {
    const { final, calls } = await drive({
      goal: { text: 'analyse the source tree in ./src and write a report' },
      tools: [analyze, writeReport],
    });
    expect(final).toMatchObject({ status: 'succeeded' });
    expect(calls[0]).toEqual({ tool: 'analyze_source_tree', args: { path: './src' } });
  });

  it('replans around a failing tool and still reaches the goal', async () => {
    const { final, events, calls } = await drive({
      goal: { text: 'x', spec },
      tools: [analyze, countLines, writeReport],
      execute: (tool) => (tool === 'count_lines' ? { ok: false } : { ok: true }),
    });
    expect(calls.map((call) => call.tool)).toEqual(['count_lines', 'analyze_source_tree', 'write_report']);
    expect(final).toMatchObject({ status: 'succeeded' });
    const replan = events.filter((event) => event.type === 'plan-update')[1];
    expect(replan).toMatchObject({ plan: ['analyze_source_tree', 'write_report'] });
    expect(replan?.type === 'plan-update' && replan.reason).toMatch(
      /^replanned because count_lines failed \(boom: it broke\)/,
    );
  });

  it('lets the bandit pick among tools that achieve the same step, and explains why', async () => {
    const stat = (action: string, trials: number, successes: number): ActionStats => ({
      agentId: 'agent_1',
      signature: 's',
      action,
      trials,
      successes,
      totalReward: successes,
      totalCostUsd: 0,
      totalLatencyMs: 0,
      updatedAt: 0,
    });
    const { events, calls } = await drive({
      goal: { text: 'x', spec },
      tools: [analyze, countLines, writeReport],
      options: { stats: () => [stat('count_lines', 10, 2), stat('analyze_source_tree', 10, 10)] },
    });
    expect(calls[0]?.tool).toBe('analyze_source_tree');
    const choice = events.find((event) => event.type === 'decision' && event.about === 'tool-choice');
    expect(choice).toMatchObject({
      chosen: 'analyze_source_tree',
      options: [{ id: 'count_lines' }, { id: 'analyze_source_tree' }],
    });
    expect(choice?.type === 'decision' && choice.reason).toMatch(
      /^UCB1: analyze_source_tree mean 1\.00 over 10 trials/,
    );
  });

  it('uses learned costs when planning', async () => {
    const { calls } = await drive({
      goal: { text: 'x', spec },
      tools: [analyze, countLines, writeReport],
      learnedCosts: new Map([['count_lines', 4]]),
    });
    expect(calls[0]?.tool).toBe('analyze_source_tree');
  });

  it('reuses a still-valid plan without searching', async () => {
    const reusablePlan: ReusablePlan = {
      id: 'plan_1',
      orgId: 'org_1',
      agentId: 'agent_1',
      signature: 's',
      goalText: 'x',
      embedding: null,
      steps: [
        { tool: 'analyze_source_tree', args: {} },
        { tool: 'write_report', args: {} },
      ],
      successes: 3,
      failures: 0,
      createdAt: 0,
      updatedAt: 0,
    };
    const { final, events, calls } = await drive({
      goal: { text: 'x', spec },
      tools: [analyze, countLines, writeReport],
      reusablePlan,
    });
    expect(events.find((event) => event.type === 'plan-update')).toMatchObject({
      reused: true,
      expansions: 0,
      plan: ['analyze_source_tree', 'write_report'],
    });
    expect(calls.map((call) => call.tool)).toEqual(['analyze_source_tree', 'write_report']);
    expect(final).toMatchObject({ status: 'succeeded' });
    const invalid = { ...reusablePlan, steps: [{ tool: 'write_report', args: {} }] };
    const second = await drive({
      goal: { text: 'x', spec },
      tools: [analyze, writeReport],
      reusablePlan: invalid,
    });
    expect(second.events.find((event) => event.type === 'plan-update')).toMatchObject({ reused: false });
  });

  it('fails with the planner reason when no plan exists, and on unmatched goal text', async () => {
    const unknown = await drive({
      goal: { text: 'x', spec: { facts: ['coffee_made'], inputs: {} } },
      tools: [analyze],
    });
    expect(unknown.final).toMatchObject({
      kind: 'finish',
      status: 'failed',
      answer: expect.stringContaining('unknown_fact'),
    });
    const text = await drive({ goal: { text: 'book a flight' }, tools: [analyze] });
    expect(text.final).toMatchObject({ status: 'failed', answer: noOfflineSkillMessage });
    const none = await drive({ goal: { text: 'x', spec }, tools: [fsRead] });
    expect(none.final).toMatchObject({ status: 'failed', answer: expect.stringMatching(/contract/) });
  });

  it('gives up instead of looping when a tool keeps failing', async () => {
    const { final, calls } = await drive({
      goal: { text: 'x', spec },
      tools: [analyze, writeReport],
      execute: (tool) => ({ ok: tool !== 'write_report' }),
    });
    expect(final).toMatchObject({ status: 'failed', answer: expect.stringMatching(/write_report failed/) });
    expect(calls.filter((call) => call.tool === 'write_report')).toHaveLength(2);
  });

  it('is deterministic', async () => {
    const scenario: Scenario = {
      goal: { text: 'x', spec },
      tools: [analyze, countLines, writeReport],
      execute: (tool, _args, attempt) => ({ ok: tool !== 'count_lines' || attempt > 1 }),
    };
    expect(await drive(scenario)).toEqual(await drive(scenario));
  });
});
