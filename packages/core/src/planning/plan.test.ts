import { describe, expect, it } from 'vitest';
import { plan } from './plan.ts';
import { replan } from './replan.ts';
import type { PlanAction, PlanProblem } from './types.ts';

const act = (name: string, pre: string[], add: string[], cost = 1, del: string[] = []): PlanAction => ({
  name,
  preconditions: pre,
  effects: add,
  deletes: del,
  cost,
});

const reportProblem: PlanProblem = {
  initial: [],
  goal: ['source_analyzed', 'report_written'],
  actions: [
    act('write_report', ['findings'], ['report_written']),
    act('analyze_source_tree', [], ['source_analyzed', 'findings'], 2, ['report_written']),
    act('count_lines', [], ['source_analyzed', 'findings'], 1, ['report_written']),
    act('noise', ['never'], ['report_written'], 0.1),
  ],
};

describe('plan', () => {
  it('finds the cheapest plan and orders actions by their preconditions and deletes', () => {
    const result = plan(reportProblem);
    expect(result).toMatchObject({ ok: true, actions: ['count_lines', 'write_report'], cost: 2 });
  });

  it('prefers a longer plan when it is cheaper', () => {
    const result = plan({
      initial: ['a'],
      goal: ['d'],
      actions: [
        act('direct', ['a'], ['d'], 10),
        act('ab', ['a'], ['b'], 1),
        act('bc', ['b'], ['c'], 1),
        act('cd', ['c'], ['d'], 1),
      ],
    });
    expect(result).toMatchObject({ ok: true, actions: ['ab', 'bc', 'cd'], cost: 3 });
  });

  it('handles deletes that force an order (sussman-like)', () => {
    const result = plan({
      initial: ['hand_empty'],
      goal: ['x', 'y'],
      actions: [act('make_x', ['hand_empty'], ['x'], 1, ['y']), act('make_y', ['hand_empty'], ['y'], 1)],
    });
    expect(result).toMatchObject({ ok: true, actions: ['make_x', 'make_y'], cost: 2 });
  });

  it('returns an empty plan when the goal already holds', () => {
    expect(plan({ initial: ['done'], goal: ['done'], actions: [] })).toMatchObject({
      ok: true,
      actions: [],
      cost: 0,
    });
  });

  it('names facts that nothing produces as unknown_fact', () => {
    const result = plan({ ...reportProblem, goal: ['report_written', 'coffee_made', 'tea_made'] });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe('unknown_fact');
    expect(result.message).toContain('coffee_made, tea_made');
  });

  it('reports unsatisfiable when producers exist but are unreachable', () => {
    const result = plan({
      initial: [],
      goal: ['b'],
      actions: [act('ab', ['a'], ['b']), act('ba', ['b'], ['a'])],
    });
    expect(result).toMatchObject({ ok: false, reason: 'unsatisfiable' });
  });

  it('reports unsatisfiable when deletes make the goal impossible', () => {
    const result = plan({
      initial: [],
      goal: ['x', 'y'],
      actions: [act('make_x', [], ['x'], 1, ['y']), act('make_y', [], ['y'], 1, ['x'])],
    });
    expect(result).toMatchObject({ ok: false, reason: 'unsatisfiable' });
  });

  it('reports unknown actions in the exclude list and duplicate names', () => {
    expect(plan(reportProblem, { exclude: ['nope'] })).toMatchObject({ ok: false, reason: 'unknown_action' });
    const duplicated = { ...reportProblem, actions: [...reportProblem.actions, act('noise', [], [])] };
    expect(plan(duplicated)).toMatchObject({ ok: false, reason: 'unknown_action' });
  });

  it('respects the node budget', () => {
    const actions = Array.from({ length: 12 }, (_, index) => act(`set_${index}`, [], [`bit_${index}`]));
    const goal = actions.map((_, index) => `bit_${index}`);
    // with uniform costs h_max is weak, so a 12-fact goal needs more than 5 expansions
    expect(plan({ initial: [], goal, actions }, { maxExpansions: 5 })).toMatchObject({
      ok: false,
      reason: 'node_budget',
      expansions: 5,
    });
  });

  it('ignores actions irrelevant to the goal, so unrelated tools do not blow up the search', () => {
    const noise = Array.from({ length: 30 }, (_, index) =>
      act(`noise_${index}`, [], [`noise_fact_${index}`], 0.5),
    );
    const result = plan({ ...reportProblem, actions: [...reportProblem.actions, ...noise] });
    expect(result).toMatchObject({ ok: true, actions: ['count_lines', 'write_report'], cost: 2 });
    expect(result.expansions).toBe(plan(reportProblem).expansions);
  });

  it('respects the time budget through the injected clock', () => {
    let time = 0;
    const now = (): number => (time += 10);
    const actions = Array.from({ length: 12 }, (_, index) => act(`set_${index}`, [], [`bit_${index}`]));
    const goal = actions.map((_, index) => `bit_${index}`);
    const result = plan({ initial: [], goal, actions }, { now, maxMs: 50 });
    expect(result).toMatchObject({ ok: false, reason: 'time_budget' });
    expect(result.expansions).toBeLessThan(10);
  });

  it('is deterministic whatever the order of the actions', () => {
    const reversed = { ...reportProblem, actions: [...reportProblem.actions].reverse() };
    const tie = {
      ...reportProblem,
      actions: reportProblem.actions.map((action) => ({ ...action, cost: 1 })),
    };
    const tieReversed = { ...tie, actions: [...tie.actions].reverse() };
    expect(plan(reversed)).toEqual(plan(reportProblem));
    expect(plan(tie)).toEqual(plan(tieReversed));
    expect(plan(tie)).toEqual(plan(tie));
  });

  it('uses learned costs (multiplier or override)', () => {
    const learned = new Map([['count_lines', 3]]);
    expect(plan(reportProblem, { learnedCosts: learned })).toMatchObject({
      actions: ['analyze_source_tree', 'write_report'],
      cost: 3,
    });
    const override = new Map([['analyze_source_tree', 0.5]]);
    expect(plan(reportProblem, { learnedCosts: override, learnedCostMode: 'override' })).toMatchObject({
      actions: ['analyze_source_tree', 'write_report'],
      cost: 1.5,
    });
  });
});

describe('replan', () => {
  it('plans around a failed action from the observed state', () => {
    const result = replan(reportProblem, [], { action: 'count_lines', kind: 'failed' });
    expect(result).toMatchObject({ ok: true, actions: ['analyze_source_tree', 'write_report'] });
  });

  it('keeps using a penalized action when it is the only way', () => {
    const result = replan(reportProblem, ['source_analyzed', 'findings'], {
      action: 'write_report',
      kind: 'failed',
    });
    expect(result).toMatchObject({ ok: true, actions: ['write_report'], cost: 3 });
  });

  it('fails cleanly when the excluded action was the only way', () => {
    const result = replan(
      reportProblem,
      ['source_analyzed', 'findings'],
      { action: 'write_report', kind: 'contradicted' },
      { mode: 'exclude' },
    );
    expect(result).toMatchObject({ ok: false, reason: 'unsatisfiable' });
  });

  it('rejects a failure naming an action outside the set', () => {
    expect(replan(reportProblem, [], { action: 'ghost', kind: 'failed' })).toMatchObject({
      ok: false,
      reason: 'unknown_action',
    });
  });
});
