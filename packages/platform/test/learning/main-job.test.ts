import type { EventPayload, Run, RunEvent } from '@autonoma/core';
import { choose, createPlannerBrain, describeTools, explainRun, learnedCosts } from '@autonoma/core';
import { sql } from '../../src/store/sql.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { renderExplanation } from '../../src/cli/render-explanation.ts';
import { runSignature } from '../../src/learning/signature.ts';
import { createSkillTools } from '../../src/tools/skills/index.ts';
import { calledTools, exampleSpec, openLearningApp, runSpec } from './learning-harness.ts';

let app: App;
let workspace = '';
let close: () => Promise<void> = async () => {};
let first: { run: Run; events: RunEvent[] };
let second: { run: Run; events: RunEvent[] };

beforeAll(async () => {
  ({ app, workspace, close } = await openLearningApp());
  const audit = await exampleSpec(workspace, 'audit.json');
  first = await runSpec(app, workspace, audit);
  second = await runSpec(app, workspace, audit);
});
afterAll(() => close());

const replayOf = (run: Run) => app.services.replay.replay(app.localScope, run.id);

describe('the main job (examples/audit.json) run twice', () => {
  it('first run tries the cheap strict summarizer, fails on the quoted data and replans', () => {
    expect(first.run.status).toBe('succeeded');
    expect(calledTools(first.events)).toEqual([
      'summarize_csv_fast',
      'analyze_source_tree',
      'summarize_dataset',
      'write_report',
    ]);
    const failed = first.events.find((event) => event.type === 'tool-call-end' && !event.ok);
    expect(failed).toMatchObject({ tool: 'summarize_csv_fast', error: { code: 'unsupported_csv' } });
    expect(
      first.events.some((event) => event.type === 'plan-update' && event.reason.startsWith('replanned')),
    ).toBe(true);
  });

  it('second run reuses the plan, skips the failing tool and takes fewer steps with equal success', () => {
    expect(second.run.status).toBe('succeeded');
    expect(second.run.answer).toBe(first.run.answer);
    expect(second.run.usage.steps).toBeLessThan(first.run.usage.steps);
    expect(second.run.usage.toolCalls).toBeLessThan(first.run.usage.toolCalls);
    expect(calledTools(second.events)).toEqual(['analyze_source_tree', 'summarize_dataset', 'write_report']);
    const plans = second.events.filter((event) => event.type === 'plan-update');
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatchObject({ reused: true, expansions: 0 });
    expect(second.events.find((event) => event.type === 'memory-recall')).toBeDefined();
  });

  it('records what worked: statistics prefer summarize_dataset for the bandit and the learned costs', async () => {
    const stats = await app.database.stores.stats.get(
      app.localScope.orgId,
      second.run.agentId,
      runSignature(second.run),
    );
    const choice = choose(['summarize_csv_fast', 'summarize_dataset'], stats, { strategy: 'ucb1' });
    expect(choice.chosen).toBe('summarize_dataset');
    const costs = learnedCosts(stats);
    expect(costs.get('summarize_csv_fast') ?? 1).toBeGreaterThan(costs.get('summarize_dataset') ?? 1);

    // Without a reusable plan, the planner's own search with the learned costs avoids the strict tool.
    const emitted: EventPayload[] = [];
    const decision = await createPlannerBrain().decide({
      run: second.run,
      agent: await app.services.agents.get(app.localScope, undefined),
      step: 1,
      transcript: [],
      tools: describeTools(createSkillTools()),
      recalled: [],
      reusablePlan: undefined,
      learnedCosts: costs,
      brainState: null,
      emit: (event) => emitted.push(event),
      signal: new AbortController().signal,
    });
    const plan = emitted.find((event) => event.type === 'plan-update');
    expect(plan?.type === 'plan-update' && plan.plan).toContain('summarize_dataset');
    expect(plan?.type === 'plan-update' && plan.plan).not.toContain('summarize_csv_fast');
    expect(decision.kind).toBe('act');
  });

  it('writes a lesson that names the real alternative', () => {
    const lessons = first.events.flatMap((event) => (event.type === 'lesson-learned' ? [event.lesson] : []));
    expect(lessons).toHaveLength(1);
    expect(lessons[0]).toMatch(/summarize_csv_fast failed 1 of 1 times.*prefer summarize_dataset/);
  });

  it('explains each decision with its options, scores and reason', () => {
    const explanation = explainRun(first.run, first.events);
    expect(explanation.summary).toMatchObject({
      planReused: false,
      replans: 1,
      failedCalls: 1,
      toolCalls: 4,
    });
    const text = renderExplanation(explanation).join('\n');
    expect(text).toContain('decide tool-choice: chose summarize_csv_fast');
    expect(text).toContain('why: untried: exploring summarize_csv_fast');
    expect(text).toContain('why: replanned because summarize_csv_fast failed (unsupported_csv');
    expect(text).toMatch(/call summarize_csv_fast .* → error unsupported_csv/);
    expect(text).toContain('lessons learned:');

    const again = renderExplanation(explainRun(second.run, second.events)).join('\n');
    expect(again).toContain(
      'plan (reused): analyze_source_tree → summarize_dataset → write_report [0 expansions]',
    );
    expect(again).toMatch(/why: UCB1: summarize_dataset mean 1\.00 over 1 trials/);
    expect(again).toMatch(/relevance \d\.\d\d · recency \d\.\d\d · importance \d\.\d\d/);
  });

  it('explains and replays only runs of the caller, and replays only finished runs', async () => {
    const stranger = { orgId: 'org_stranger', actor: 'cli' };
    await expect(app.services.explain.explain(stranger, first.run.id)).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(app.services.replay.replay(stranger, first.run.id)).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(await app.services.explain.explain(app.localScope, first.run.id)).toEqual(
      explainRun(first.run, first.events),
    );
    const queued = await app.services.runs.start(app.localScope, { goal: 'not started yet', workspace });
    await expect(app.services.replay.replay(app.localScope, queued.id)).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('has not ended (queued)'),
    });
    await app.services.runs.cancel(app.localScope, queued.id);
  });

  it('replays a successful run to the same calls and outcome without running tools', async () => {
    const result = await replayOf(first.run);
    expect(result).toMatchObject({ matches: true, steps: 5, toolCalls: 4, status: 'succeeded' });
    expect(result.answer).toBe(first.run.answer);
  });

  it('detects a tampered event', async () => {
    const tamperedRun = second.run;
    await app.database.executor.execute(
      sql`UPDATE run_events SET payload = jsonb_set(payload, '{args,path}', '"examples/sales.csv"')
          WHERE run_id = ${tamperedRun.id} AND payload->>'type' = 'tool-call-start'
            AND payload->>'tool' = 'summarize_dataset'`,
    );
    const result = await replayOf(tamperedRun);
    expect(result.matches).toBe(false);
    expect(result.divergence).toContain('recorded summarize_dataset {"path":"examples/orders.csv"}');
    expect(result.divergence).toContain('replayed summarize_dataset {"path":"examples/sales.csv"}');
  });

  it('detects a tampered final answer', async () => {
    await app.database.executor.execute(
      sql`UPDATE run_events SET payload = jsonb_set(payload, '{outcome,answer}', '"all good"')
          WHERE run_id = ${first.run.id} AND payload->>'type' = 'step-end'
            AND payload->'outcome'->>'kind' = 'final'`,
    );
    const result = await replayOf(first.run);
    expect(result.matches).toBe(false);
    expect(result.divergence).toMatch(/^answer: recorded .*replayed "all good"/);
  });
});
