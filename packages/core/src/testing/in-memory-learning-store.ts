import type {
  PlanRunOutcome,
  ActionOutcome,
  ActionStats,
  PlanStore,
  ReusablePlan,
  StatsStore,
} from '../ports/learning-store.ts';
import { copy } from './in-memory-run-store.ts';
import { cosineSimilarity } from './in-memory-memory-store.ts';

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** An in-memory {@link StatsStore}: outcomes accumulate per (org, agent, signature, action). */
export class InMemoryStatsStore implements StatsStore {
  readonly #stats = new Map<string, ActionStats & { orgId: string }>();

  async record(outcome: ActionOutcome): Promise<void> {
    const key = [outcome.orgId, outcome.agentId, outcome.signature, outcome.action].join('\u0000');
    const stats = this.#stats.get(key) ?? {
      orgId: outcome.orgId,
      agentId: outcome.agentId,
      signature: outcome.signature,
      action: outcome.action,
      trials: 0,
      successes: 0,
      totalReward: 0,
      totalCostUsd: 0,
      totalLatencyMs: 0,
      updatedAt: outcome.now,
    };
    stats.trials += 1;
    stats.successes += outcome.success ? 1 : 0;
    stats.totalReward += outcome.reward;
    stats.totalCostUsd += outcome.costUsd;
    stats.totalLatencyMs += outcome.latencyMs;
    stats.updatedAt = Math.max(stats.updatedAt, outcome.now);
    this.#stats.set(key, stats);
  }

  async get(orgId: string, agentId: string, signature: string): Promise<ActionStats[]> {
    return (await this.list(orgId, agentId)).filter((stats) => stats.signature === signature);
  }

  async list(orgId: string, agentId?: string): Promise<ActionStats[]> {
    return [...this.#stats.values()]
      .filter((stats) => stats.orgId === orgId && (agentId === undefined || stats.agentId === agentId))
      .sort(
        (a, b) =>
          compareText(a.agentId, b.agentId) ||
          compareText(a.signature, b.signature) ||
          compareText(a.action, b.action),
      )
      .map(({ orgId: _orgId, ...stats }) => copy(stats));
  }
}

/** Laplace-smoothed success rate of a plan. */
const successRate = (plan: ReusablePlan): number =>
  (plan.successes + 1) / (plan.successes + plan.failures + 2);

/** An in-memory {@link PlanStore}. */
export class InMemoryPlanStore implements PlanStore {
  readonly #plans = new Map<string, ReusablePlan>();
  /** (plan, run) pairs already counted: a run counts once per plan. */
  readonly #counted = new Set<string>();

  async save(plan: ReusablePlan): Promise<ReusablePlan> {
    const existing = this.#plans.get(plan.id);
    const stored = { ...copy(plan), ...(existing === undefined ? {} : { createdAt: existing.createdAt }) };
    this.#plans.set(plan.id, stored);
    return copy(stored);
  }

  async find(query: {
    orgId: string;
    agentId: string;
    signature: string;
    embedding: number[] | null;
    minSimilarity: number;
  }): Promise<{ plan: ReusablePlan; similarity: number } | undefined> {
    const scoped = [...this.#plans.values()].filter(
      (plan) => plan.orgId === query.orgId && plan.agentId === query.agentId,
    );
    const exact = scoped
      .filter((plan) => plan.signature === query.signature)
      .sort((a, b) => successRate(b) - successRate(a) || b.updatedAt - a.updatedAt)[0];
    if (exact !== undefined) return { plan: copy(exact), similarity: 1 };
    const best = scoped
      .map((plan) => ({ plan, similarity: cosineSimilarity(plan.embedding, query.embedding) }))
      .filter(
        (item): item is { plan: ReusablePlan; similarity: number } =>
          item.similarity !== null && item.similarity >= query.minSimilarity,
      )
      .sort((a, b) => b.similarity - a.similarity || successRate(b.plan) - successRate(a.plan))[0];
    return best === undefined ? undefined : { plan: copy(best.plan), similarity: best.similarity };
  }

  async recordRun(outcome: PlanRunOutcome): Promise<boolean> {
    const ledgerKey = `${outcome.planId}\u0001${outcome.runId}`;
    if (this.#counted.has(ledgerKey)) return false;
    let plan = this.#plans.get(outcome.planId);
    if (plan !== undefined && plan.orgId !== outcome.orgId) return false;
    if (plan === undefined) {
      if (outcome.plan === undefined) return false;
      plan = {
        ...copy(outcome.plan),
        id: outcome.planId,
        orgId: outcome.orgId,
        successes: 0,
        failures: 0,
        createdAt: outcome.now,
        updatedAt: outcome.now,
      };
      this.#plans.set(plan.id, plan);
    }
    this.#counted.add(ledgerKey);
    if (outcome.success) plan.successes += 1;
    else plan.failures += 1;
    plan.updatedAt = outcome.now;
    return true;
  }

  async list(orgId: string, agentId?: string): Promise<ReusablePlan[]> {
    return [...this.#plans.values()]
      .filter((plan) => plan.orgId === orgId && (agentId === undefined || plan.agentId === agentId))
      .sort((a, b) => b.updatedAt - a.updatedAt || compareText(a.id, b.id))
      .map(copy);
  }
}
