import type { CompiledProblem } from './compile.ts';

/**
 * h_max: the cost of the most expensive goal fact in the delete relaxation, where a fact costs the
 * cheapest action that adds it plus the most expensive of that action's preconditions.
 *
 * Admissible (never overestimates: any real plan must at least reach its costliest goal fact, and
 * ignoring deletes and taking the max of preconditions only makes that cheaper) and consistent, so
 * A* with a closed set returns optimal plans. It is weaker than h_add but h_add is not admissible; on
 * the tool-sized problems this planner sees (tens of actions) h_max keeps searches well under a
 * millisecond. Returns `Infinity` when the goal is unreachable even without deletes: a dead end.
 */
export function hMax(problem: CompiledProblem, state: Uint8Array, scratch: Float64Array): number {
  scratch.fill(Infinity);
  for (let fact = 0; fact < state.length; fact++) if (state[fact] === 1) scratch[fact] = 0;
  let changed = true;
  while (changed) {
    changed = false;
    for (const action of problem.actions) {
      let pre = 0;
      for (const fact of action.pre) {
        const cost = scratch[fact] ?? Infinity;
        if (cost > pre) pre = cost;
      }
      if (pre === Infinity) continue;
      const reached = pre + action.cost;
      for (const fact of action.add) {
        if (reached < (scratch[fact] ?? Infinity)) {
          scratch[fact] = reached;
          changed = true;
        }
      }
    }
  }
  let worst = 0;
  for (const fact of problem.goal) {
    const cost = scratch[fact] ?? Infinity;
    if (cost > worst) worst = cost;
  }
  return worst;
}

/** Goal facts that stay unreachable from `state` even when deletes are ignored. */
export function unreachableGoals(problem: CompiledProblem, state: Uint8Array): string[] {
  const scratch = new Float64Array(problem.facts.length);
  hMax(problem, state, scratch);
  return problem.goal.filter((fact) => scratch[fact] === Infinity).map((fact) => problem.facts[fact] ?? '');
}
