import type { PlanAction, PlanFailureReason, PlanOptions, PlanProblem } from './types.ts';
import { minActionCost } from './types.ts';

/** An action over interned fact indices, with its effective cost. */
export interface CompiledAction {
  name: string;
  pre: readonly number[];
  add: readonly number[];
  del: readonly number[];
  cost: number;
}

/** A problem over interned facts, actions sorted by name for deterministic tie-breaking. */
export interface CompiledProblem {
  facts: readonly string[];
  initial: readonly number[];
  goal: readonly number[];
  actions: readonly CompiledAction[];
}

/** The compiled problem, or why it cannot be searched. */
export type CompileResult =
  { ok: true; problem: CompiledProblem } | { ok: false; reason: PlanFailureReason; message: string };

/**
 * Goal facts that are neither initially true nor an effect of any action: such a goal can never be
 * reached, and the fact is most likely misspelled or needs a tool that is not installed.
 */
export function unknownFacts(problem: PlanProblem): string[] {
  const known = new Set(problem.initial);
  for (const action of problem.actions) for (const fact of action.effects) known.add(fact);
  return [...new Set(problem.goal.filter((fact) => !known.has(fact)))];
}

/**
 * The cost the search uses for an action: prior cost, changed by the learned cost (multiplied or
 * overridden) and then by any penalty, never below {@link minActionCost}.
 */
export function effectiveCost(action: PlanAction, options: PlanOptions): number {
  const prior = action.cost ?? 1;
  let cost = Number.isFinite(prior) && prior > 0 ? prior : minActionCost;
  const learned = options.learnedCosts?.get(action.name);
  if (learned !== undefined && Number.isFinite(learned) && learned > 0) {
    cost = options.learnedCostMode === 'override' ? learned : cost * learned;
  }
  const penalty = options.penalties?.get(action.name);
  if (penalty !== undefined && Number.isFinite(penalty) && penalty > 0) cost *= penalty;
  return Math.max(cost, minActionCost);
}

function checkActionNames(problem: PlanProblem, options: PlanOptions): string | undefined {
  const names = new Set<string>();
  for (const action of problem.actions) {
    if (names.has(action.name)) return `action '${action.name}' is defined twice`;
    names.add(action.name);
  }
  const referenced = [...(options.exclude ?? []), ...(options.penalties?.keys() ?? [])];
  const missing = [...new Set(referenced.filter((name) => !names.has(name)))];
  if (missing.length > 0) return `unknown action(s): ${missing.join(', ')}`;
  return undefined;
}

/**
 * Backward relevance: the goal facts, plus the preconditions of every action that adds a relevant
 * fact, to a fixpoint. Actions that add no relevant fact can be dropped and irrelevant facts
 * ignored without losing any plan or its optimality: preconditions are positive, so removing such
 * an action from a plan leaves every later precondition and the goal satisfied. This keeps
 * searches small when an agent has many tools unrelated to its goal.
 */
export function relevantFacts(problem: PlanProblem, excluded: ReadonlySet<string>): Set<string> {
  const relevant = new Set(problem.goal);
  let changed = true;
  while (changed) {
    changed = false;
    for (const action of problem.actions) {
      if (excluded.has(action.name) || !action.effects.some((fact) => relevant.has(fact))) continue;
      for (const fact of action.preconditions) {
        if (!relevant.has(fact)) {
          relevant.add(fact);
          changed = true;
        }
      }
    }
  }
  return relevant;
}

/** Validates a problem against its action set, drops irrelevant actions and facts, and interns the rest. */
export function compileProblem(problem: PlanProblem, options: PlanOptions = {}): CompileResult {
  const nameProblem = checkActionNames(problem, options);
  if (nameProblem) return { ok: false, reason: 'unknown_action', message: nameProblem };
  const unknown = unknownFacts(problem);
  if (unknown.length > 0) {
    return {
      ok: false,
      reason: 'unknown_fact',
      message: `no action produces and the initial state lacks: ${unknown.join(', ')}`,
    };
  }
  const index = new Map<string, number>();
  const facts: string[] = [];
  const intern = (fact: string): number => {
    let id = index.get(fact);
    if (id === undefined) {
      id = facts.length;
      index.set(fact, id);
      facts.push(fact);
    }
    return id;
  };
  const excluded = new Set(options.exclude ?? []);
  const relevant = relevantFacts(problem, excluded);
  const unique = (list: readonly string[]): number[] =>
    [...new Set(list.filter((fact) => relevant.has(fact)).map(intern))].sort((a, b) => a - b);
  const initial = unique(problem.initial);
  const goal = unique(problem.goal);
  const actions = problem.actions
    .filter((action) => !excluded.has(action.name) && action.effects.some((fact) => relevant.has(fact)))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((action) => ({
      name: action.name,
      pre: unique(action.preconditions),
      add: unique(action.effects),
      del: unique(action.deletes ?? []),
      cost: effectiveCost(action, options),
    }));
  return { ok: true, problem: { facts, initial, goal, actions } };
}
