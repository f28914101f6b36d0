import type { CompiledProblem } from './compile.ts';
import { compileProblem } from './compile.ts';
import { hMax, unreachableGoals } from './heuristic.ts';
import { PriorityQueue } from './priority-queue.ts';
import type { PlanOptions, PlanProblem, PlanResult } from './types.ts';

/** Default node budget of one search. */
export const defaultMaxExpansions = 20_000;
/** Default time budget of one search, in milliseconds (enforced only when `now` is given). */
export const defaultMaxMs = 1_000;

interface SearchNode {
  state: Uint8Array;
  key: string;
  g: number;
  h: number;
  f: number;
  serial: number;
  parent: SearchNode | undefined;
  action: number;
}

const epsilon = 1e-9;

/** Lower f first; on equal f, lower h (closer to the goal); then first generated. */
function compareNodes(a: SearchNode, b: SearchNode): number {
  if (Math.abs(a.f - b.f) > epsilon) return a.f - b.f;
  if (Math.abs(a.h - b.h) > epsilon) return a.h - b.h;
  return a.serial - b.serial;
}

function keyOf(state: Uint8Array): string {
  let key = '';
  for (let fact = 0; fact < state.length; fact++) if (state[fact] === 1) key += `${fact},`;
  return key;
}

function satisfies(state: Uint8Array, facts: readonly number[]): boolean {
  for (const fact of facts) if (state[fact] !== 1) return false;
  return true;
}

function pathOf(problem: CompiledProblem, node: SearchNode): string[] {
  const names: string[] = [];
  for (let current: SearchNode | undefined = node; current?.parent; current = current.parent) {
    names.push(problem.actions[current.action]?.name ?? '');
  }
  return names.reverse();
}

/**
 * Finds a cheapest action sequence that makes every goal fact true, with A* and the admissible
 * h_max heuristic. Deterministic: actions are tried in name order and ties broken by (f, h, order
 * of generation), so the same problem always yields the same plan.
 */
export function plan(problem: PlanProblem, options: PlanOptions = {}): PlanResult {
  const compiled = compileProblem(problem, options);
  if (!compiled.ok) return { ...compiled, expansions: 0 };
  const model = compiled.problem;
  const maxExpansions = options.maxExpansions ?? defaultMaxExpansions;
  const maxMs = options.maxMs ?? defaultMaxMs;
  const start = options.now?.();
  const scratch = new Float64Array(model.facts.length);

  const initial = new Uint8Array(model.facts.length);
  for (const fact of model.initial) initial[fact] = 1;
  const h0 = hMax(model, initial, scratch);
  if (h0 === Infinity) {
    const missing = unreachableGoals(model, initial);
    return {
      ok: false,
      reason: 'unsatisfiable',
      message: `no sequence of the available actions makes true: ${missing.join(', ')}`,
      expansions: 0,
    };
  }

  let serial = 0;
  const open = new PriorityQueue<SearchNode>(compareNodes);
  open.push({
    state: initial,
    key: keyOf(initial),
    g: 0,
    h: h0,
    f: h0,
    serial: serial++,
    parent: undefined,
    action: -1,
  });
  const bestG = new Map<string, number>();
  const closed = new Set<string>();
  let expansions = 0;

  for (let node = open.pop(); node; node = open.pop()) {
    if (closed.has(node.key)) continue;
    if (satisfies(node.state, model.goal)) {
      return { ok: true, actions: pathOf(model, node), cost: node.g, expansions };
    }
    if (expansions >= maxExpansions) {
      return {
        ok: false,
        reason: 'node_budget',
        message: `search stopped after ${expansions} expansions without reaching the goal`,
        expansions,
      };
    }
    if (start !== undefined && options.now && options.now() - start > maxMs) {
      return {
        ok: false,
        reason: 'time_budget',
        message: `search stopped after ${maxMs} ms (${expansions} expansions) without reaching the goal`,
        expansions,
      };
    }
    closed.add(node.key);
    expansions++;
    for (let actionIndex = 0; actionIndex < model.actions.length; actionIndex++) {
      const action = model.actions[actionIndex];
      if (!action || !satisfies(node.state, action.pre)) continue;
      const next = node.state.slice();
      for (const fact of action.del) next[fact] = 0;
      for (const fact of action.add) next[fact] = 1;
      const key = keyOf(next);
      if (closed.has(key)) continue;
      const g = node.g + action.cost;
      const known = bestG.get(key);
      if (known !== undefined && known <= g + epsilon) continue;
      const h = hMax(model, next, scratch);
      if (h === Infinity) continue;
      bestG.set(key, g);
      open.push({ state: next, key, g, h, f: g + h, serial: serial++, parent: node, action: actionIndex });
    }
  }
  return {
    ok: false,
    reason: 'unsatisfiable',
    message: `every reachable state was explored (${expansions} expansions); the goal cannot be reached`,
    expansions,
  };
}
