/**
 * What a tool (or planner action) needs and achieves, for the classical planner: STRIPS-style
 * preconditions and effects over a fact state. Facts are strings such as `source_analyzed` or
 * `report_written`.
 */
export interface ActionContract {
  /** Facts that must hold before the action runs. */
  preconditions: readonly string[];
  /** Facts the action makes true. */
  effects: readonly string[];
  /** Facts the action makes false. */
  deletes?: readonly string[];
  /** Prior cost of the action (before any learned statistics). @default 1 */
  cost?: number;
  /** Builds the tool arguments from the goal's inputs and the facts reached so far. */
  args?: (inputs: Readonly<Record<string, unknown>>, facts: ReadonlySet<string>) => unknown;
}
