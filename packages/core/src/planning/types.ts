/** One STRIPS-style action the planner may use. */
export interface PlanAction {
  /** Unique name (a tool name when the action is a tool). */
  name: string;
  /** Facts that must hold before the action applies. */
  preconditions: readonly string[];
  /** Facts the action makes true. */
  effects: readonly string[];
  /** Facts the action makes false. */
  deletes?: readonly string[];
  /** Prior cost; must be positive. @default 1 */
  cost?: number;
}

/** A planning problem: a fact state, the facts to reach, the actions available. */
export interface PlanProblem {
  /** Facts true at the start. */
  initial: readonly string[];
  /** Facts that must all hold at the end. */
  goal: readonly string[];
  actions: readonly PlanAction[];
}

/** How learned costs change an action's prior cost. */
export type LearnedCostMode = 'multiply' | 'override';

/** Limits and cost adjustments for one search. */
export interface PlanOptions {
  /** Nodes the search may expand before giving up. @default 20000 */
  maxExpansions?: number;
  /** Wall time the search may take, measured with `now`. Not enforced when `now` is absent. @default 1000 */
  maxMs?: number;
  /** Time source in milliseconds (injected so that core never reads the clock itself). */
  now?: () => number;
  /** Learned cost per action name (see `learnedCost` in learning/). */
  learnedCosts?: ReadonlyMap<string, number>;
  /** `multiply`: prior × learned; `override`: learned replaces prior. @default 'multiply' */
  learnedCostMode?: LearnedCostMode;
  /** Actions the search may not use (e.g. a tool that kept failing). */
  exclude?: readonly string[];
  /** Extra cost multipliers per action (e.g. after a failure). Applied after learned costs. */
  penalties?: ReadonlyMap<string, number>;
}

/** Why a search found no plan. */
export type PlanFailureReason =
  'unsatisfiable' | 'node_budget' | 'time_budget' | 'unknown_fact' | 'unknown_action';

/** The outcome of a search: an optimal action sequence, or a reason. */
export type PlanResult =
  | { ok: true; actions: string[]; cost: number; expansions: number }
  | { ok: false; reason: PlanFailureReason; message: string; expansions: number };

/** Smallest cost an action may have: A* needs strictly positive costs to stay optimal and finite. */
export const minActionCost = 1e-6;
