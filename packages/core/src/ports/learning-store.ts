/** Outcome statistics of one action in one context for one agent. */
export interface ActionStats {
  agentId: string;
  signature: string;
  action: string;
  trials: number;
  successes: number;
  totalReward: number;
  totalCostUsd: number;
  totalLatencyMs: number;
  updatedAt: number;
}

/** One observed outcome of an action. */
export interface ActionOutcome {
  orgId: string;
  agentId: string;
  signature: string;
  action: string;
  success: boolean;
  reward: number;
  costUsd: number;
  latencyMs: number;
  now: number;
}

/** Per-(agent, context signature, action) outcome statistics; persistent. */
export interface StatsStore {
  record(outcome: ActionOutcome): Promise<void>;
  get(orgId: string, agentId: string, signature: string): Promise<ActionStats[]>;
  list(orgId: string, agentId?: string): Promise<ActionStats[]>;
}

/** A plan that worked, kept for reuse. */
export interface ReusablePlan {
  id: string;
  orgId: string;
  agentId: string;
  /** Normalized goal signature (exact-match key). */
  signature: string;
  goalText: string;
  embedding: number[] | null;
  /** The actions in order, with their arguments. */
  steps: { tool: string; args: unknown }[];
  successes: number;
  failures: number;
  createdAt: number;
  updatedAt: number;
}

/** One run's outcome for a plan. */
export interface PlanRunOutcome {
  orgId: string;
  planId: string;
  runId: string;
  success: boolean;
  now: number;
  /** The plan to create when it does not exist yet (its counters start at this outcome). */
  plan?: Omit<ReusablePlan, 'id' | 'orgId' | 'successes' | 'failures' | 'createdAt' | 'updatedAt'>;
}

/** Reusable plans keyed by goal signature and embedding. */
export interface PlanStore {
  save(plan: ReusablePlan): Promise<ReusablePlan>;
  /** The best plan for the signature, else the most similar by embedding above `minSimilarity`. */
  find(query: {
    orgId: string;
    agentId: string;
    signature: string;
    embedding: number[] | null;
    minSimilarity: number;
  }): Promise<{ plan: ReusablePlan; similarity: number } | undefined>;
  /**
   * Counts one run's outcome for a plan, once per (plan, run) whatever the retries: a reflection
   * repeated after a crash counts nothing twice. With `plan`, the plan is created when absent (a
   * success saves its steps). Returns false when this run was already counted.
   */
  recordRun(outcome: PlanRunOutcome): Promise<boolean>;
  list(orgId: string, agentId?: string): Promise<ReusablePlan[]>;
}
