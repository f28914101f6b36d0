import { describe, expect, it } from 'vitest';
import type { EventPayload, RunEvent } from '../protocol/events.ts';
import type { Run } from '../protocol/run.ts';
import { emptyUsage } from '../protocol/run.ts';
import { InMemoryRunStore } from '../testing/in-memory-run-store.ts';
import { explainRun } from './explain-run.ts';

// A run as a store creates it (so the fixture follows `Run`), then ended the way the log below says.
const { run: created } = await new InMemoryRunStore().create({
  id: 'run_1',
  orgId: 'org_1',
  agentId: 'agt_1',
  goal: { text: 'summarize the dataset' },
  budgets: { maxSteps: 5 },
  workspace: 'ws_1',
  now: 1,
});
const run: Run = {
  ...created,
  status: 'succeeded',
  usage: { ...emptyUsage(), steps: 3, toolCalls: 2 },
  stepCount: 3,
  answer: 'done',
};

/** Stored events from payloads: sequence numbers and times as the store would add them. */
const stored = (payloads: EventPayload[]): RunEvent[] =>
  payloads.map((payload, index) => ({ ...payload, runId: run.id, seq: index + 1, at: 1000 + index }));

const log = stored([
  { type: 'run-start', goal: 'summarize the dataset', agent: 'default', brain: 'planner', resumed: false },
  { type: 'step-start', step: 1 },
  {
    type: 'memory-recall',
    step: 1,
    query: 'summarize the dataset',
    items: [
      {
        id: 'mem_1',
        kind: 'lesson',
        text: 'prefer b',
        score: 0.9,
        relevance: 0.8,
        recency: 0.5,
        importance: 1,
      },
    ],
  },
  { type: 'plan-update', step: 1, plan: ['a', 'c'], reason: 'search', reused: false, expansions: 7 },
  {
    type: 'decision',
    step: 1,
    about: 'tool-choice',
    options: [
      { id: 'a', label: 'a', score: null, detail: { trials: 0 } },
      { id: 'b', label: 'b', score: 0.4 },
    ],
    chosen: 'a',
    reason: 'untried: exploring a',
  },
  { type: 'tool-call-start', step: 1, callId: 'run_1:1:0', tool: 'a', args: { path: 'x.csv' } },
  {
    type: 'tool-call-end',
    step: 1,
    callId: 'run_1:1:0',
    tool: 'a',
    ok: false,
    error: { code: 'unsupported_csv', message: 'a: quoted fields' },
    latencyMs: 3,
    fromJournal: false,
  },
  { type: 'step-end', step: 1, outcome: { kind: 'continue' }, status: 'running' },
  { type: 'step-start', step: 2 },
  {
    type: 'plan-update',
    step: 2,
    plan: ['b', 'c'],
    reason: 'replanned because a failed',
    reused: false,
    expansions: 3,
  },
  { type: 'tool-call-start', step: 2, callId: 'run_1:2:0', tool: 'b', args: { path: 'x.csv' } },
  {
    type: 'tool-call-end',
    step: 2,
    callId: 'run_1:2:0',
    tool: 'b',
    ok: true,
    result: { rows: 3 },
    latencyMs: 4,
    fromJournal: true,
  },
  { type: 'delegate-start', step: 2, childRunId: 'run_2', goal: 'check the totals', agent: 'auditor' },
  { type: 'budget-warning', budget: 'steps', used: 4, limit: 5 },
  { type: 'error', code: 'slow', message: 'took long' },
  { type: 'step-end', step: 2, outcome: { kind: 'continue' }, status: 'running' },
  { type: 'step-start', step: 3 },
  { type: 'delegate-end', step: 3, childRunId: 'run_2', status: 'succeeded', answer: 'totals match' },
  {
    type: 'step-end',
    step: 3,
    outcome: { kind: 'final', status: 'succeeded', answer: 'done' },
    status: 'succeeded',
  },
  { type: 'lesson-learned', lesson: 'a failed 1 of 1 times; prefer b', source: 'statistics' },
  { type: 'memory-write', memoryId: 'mem_2', kind: 'lesson', text: 'prefer b', importance: 0.7 },
]);

describe('explainRun', () => {
  it('groups decisions, plans, recalls and calls by step, with their options, scores and reasons', () => {
    const explanation = explainRun(run, log);
    expect(explanation.run).toEqual({
      id: 'run_1',
      status: 'succeeded',
      goal: 'summarize the dataset',
      answer: 'done',
      reason: null,
      usage: run.usage,
    });
    expect(explanation.steps.map((step) => step.step)).toEqual([1, 2, 3]);
    const [first, second, third] = explanation.steps;
    expect(first?.recalled).toEqual([
      { query: 'summarize the dataset', items: [expect.objectContaining({ id: 'mem_1' })] },
    ]);
    expect(first?.decisions).toEqual([
      {
        about: 'tool-choice',
        chosen: 'a',
        reason: 'untried: exploring a',
        options: [
          { id: 'a', label: 'a', score: null, detail: { trials: 0 } },
          { id: 'b', label: 'b', score: 0.4 },
        ],
      },
    ]);
    expect(first?.calls).toEqual([
      {
        callId: 'run_1:1:0',
        tool: 'a',
        args: { path: 'x.csv' },
        ok: false,
        error: { code: 'unsupported_csv', message: 'a: quoted fields' },
        latencyMs: 3,
        fromJournal: false,
      },
    ]);
    expect(second?.plans).toEqual([
      { plan: ['b', 'c'], reused: false, expansions: 3, reason: 'replanned because a failed' },
    ]);
    expect(second?.calls[0]).toMatchObject({ ok: true, result: { rows: 3 }, fromJournal: true });
    expect(third?.outcome).toEqual({ kind: 'final', status: 'succeeded', answer: 'done' });
  });

  it('puts budget warnings and step-less errors in the step in progress, and follows delegations to their end', () => {
    const [, second] = explainRun(run, log).steps;
    expect(second?.budgetWarnings).toEqual([{ budget: 'steps', used: 4, limit: 5 }]);
    expect(second?.errors).toEqual([{ code: 'slow', message: 'took long' }]);
    expect(second?.delegations).toEqual([
      {
        childRunId: 'run_2',
        goal: 'check the totals',
        agent: 'auditor',
        status: 'succeeded',
        answer: 'totals match',
      },
    ]);
  });

  it('summarizes the run and keeps what it learned', () => {
    const explanation = explainRun(run, log);
    expect(explanation.summary).toEqual({
      steps: 3,
      toolCalls: 2,
      failedCalls: 1,
      planReused: false,
      replans: 1,
      expansions: 10,
      recalled: 1,
    });
    expect(explanation.lessons).toEqual(['a failed 1 of 1 times; prefer b']);
    expect(explanation.memories).toEqual([
      { id: 'mem_2', kind: 'lesson', importance: 0.7, text: 'prefer b' },
    ]);
    expect(explanation.children).toEqual([]);
  });

  it('shows a call whose result is not recorded, and one whose start is not, as they are', () => {
    const explanation = explainRun(
      { ...run, status: 'running', answer: null },
      stored([
        { type: 'step-start', step: 1 },
        { type: 'tool-call-start', step: 1, callId: 'run_1:1:0', tool: 'a', args: {} },
        {
          type: 'tool-call-end',
          step: 1,
          callId: 'run_1:1:1',
          tool: 'b',
          ok: true,
          result: 1,
          latencyMs: 1,
          fromJournal: false,
        },
      ]),
    );
    const calls = explanation.steps[0]?.calls;
    expect(calls?.[0]).toEqual({ callId: 'run_1:1:0', tool: 'a', args: {}, ok: null });
    expect(calls?.[1]).not.toHaveProperty('args');
    expect(calls?.[1]).toMatchObject({ callId: 'run_1:1:1', ok: true, result: 1 });
    expect(explanation.steps[0]?.outcome).toBeNull();
  });

  it('is plain data: it survives a JSON round trip unchanged', () => {
    const explanation = explainRun(run, log);
    expect(JSON.parse(JSON.stringify(explanation))).toEqual(explanation);
  });
});
