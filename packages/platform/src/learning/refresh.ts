import type { Memory, MemoryStore, PlanStore, StatsStore } from '@autonoma/core';
import { cosineSimilarity, embedText } from '@autonoma/core';

/** What the `learning-refresh` job reads and writes. */
export interface RefreshDeps {
  memories: MemoryStore;
  stats: StatsStore;
  plans: PlanStore;
}

/** Options of one refresh. */
export interface RefreshOptions {
  orgId: string;
  now: number;
  /** Least cosine between two memories of the same agent and kind for them to count as one. @default 0.95 */
  similarity?: number;
  /** A memory not accessed for this long decays. @default 30 days */
  staleAfterMs?: number;
  /** Importance multiplier for a stale memory. @default 0.8 */
  decayFactor?: number;
  /** A stale memory whose importance would fall below this is deleted. @default 0.05 */
  floor?: number;
}

/** Per-agent totals of the outcome statistics. */
export interface AgentStatsSummary {
  agentId: string;
  signatures: number;
  actions: number;
  trials: number;
  successes: number;
  /** The most tried actions with their success rates, most tried first. */
  top: { action: string; trials: number; successRate: number; meanReward: number }[];
}

/** What one refresh did. */
export interface RefreshReport {
  stats: AgentStatsSummary[];
  plans: { total: number; unreliable: number };
  memoriesBefore: number;
  /** Near-duplicate sets merged into their best member. */
  merged: { groups: number; deleted: number };
  decayed: number;
  deletedByDecay: number;
  memoriesAfter: number;
}

const day = 24 * 60 * 60 * 1000;
const pageSize = 500;

/** Every memory of an organization, newest first. */
async function allMemories(memories: MemoryStore, orgId: string): Promise<Memory[]> {
  const all: Memory[] = [];
  for (;;) {
    const before = all.at(-1)?.id;
    const page = await memories.list({ orgId, limit: pageSize, ...(before ? { before } : {}) });
    all.push(...page);
    if (page.length < pageSize) return all;
  }
}

/** Which memory of a near-duplicate set is kept: the most important, then the most recently used, then the newest. */
const keepOrder = (a: Memory, b: Memory): number =>
  b.importance - a.importance ||
  b.lastAccessedAt - a.lastAccessedAt ||
  b.createdAt - a.createdAt ||
  (a.id < b.id ? -1 : 1);

/**
 * Near-duplicate sets among memories of one agent and kind: each memory, best first, joins the first
 * kept memory it is at least `similarity` close to (cosine over the stored embeddings, or over local
 * hashed embeddings when a memory has none), else is kept itself. Vectors of different lengths
 * (different embedders) are never compared.
 */
export function nearDuplicates(
  memories: readonly Memory[],
  similarity: number,
): { keep: Memory; drop: Memory[] }[] {
  const groups = new Map<string, Memory[]>();
  for (const memory of memories) {
    const key = `${memory.agentId}\u0000${memory.kind}`;
    groups.set(key, [...(groups.get(key) ?? []), memory]);
  }
  const sets: { keep: Memory; drop: Memory[] }[] = [];
  for (const group of groups.values()) {
    const kept: { memory: Memory; vector: number[]; set: { keep: Memory; drop: Memory[] } }[] = [];
    for (const memory of [...group].sort(keepOrder)) {
      const vector =
        memory.embedding && memory.embedding.length > 0 ? memory.embedding : embedText(memory.text);
      const home = kept.find(
        (candidate) =>
          candidate.vector.length === vector.length &&
          cosineSimilarity(candidate.vector, vector) >= similarity,
      );
      if (home) home.set.drop.push(memory);
      else kept.push({ memory, vector, set: { keep: memory, drop: [] } });
    }
    for (const entry of kept) if (entry.set.drop.length > 0) sets.push(entry.set);
  }
  return sets;
}

/**
 * The `learning-refresh` job: summarizes the outcome statistics (they are aggregated as they are
 * recorded, so there is nothing to fold), counts reusable plans that fail more than they succeed
 * (plan lookup already ignores them), merges near-duplicate memories into their best member (which
 * inherits their access counts), and decays memories nobody recalled for a while, deleting those
 * that fade below the floor. Safe to run at any time and repeatedly.
 */
export async function refreshLearning(deps: RefreshDeps, options: RefreshOptions): Promise<RefreshReport> {
  const { orgId, now } = options;
  const rows = await deps.stats.list(orgId);
  const byAgent = new Map<string, typeof rows>();
  for (const row of rows) byAgent.set(row.agentId, [...(byAgent.get(row.agentId) ?? []), row]);
  const stats: AgentStatsSummary[] = [...byAgent.entries()].map(([agentId, agentRows]) => {
    const actions = new Map<string, { trials: number; successes: number; reward: number }>();
    for (const row of agentRows) {
      const total = actions.get(row.action) ?? { trials: 0, successes: 0, reward: 0 };
      total.trials += row.trials;
      total.successes += row.successes;
      total.reward += row.totalReward;
      actions.set(row.action, total);
    }
    const top = [...actions.entries()]
      .sort(([nameA, a], [nameB, b]) => b.trials - a.trials || (nameA < nameB ? -1 : 1))
      .slice(0, 10)
      .map(([action, total]) => ({
        action,
        trials: total.trials,
        successRate: total.trials > 0 ? total.successes / total.trials : 0,
        meanReward: total.trials > 0 ? total.reward / total.trials : 0,
      }));
    return {
      agentId,
      signatures: new Set(agentRows.map((row) => row.signature)).size,
      actions: actions.size,
      trials: agentRows.reduce((sum, row) => sum + row.trials, 0),
      successes: agentRows.reduce((sum, row) => sum + row.successes, 0),
      top,
    };
  });
  const plans = await deps.plans.list(orgId);

  const before = await allMemories(deps.memories, orgId);
  const sets = nearDuplicates(before, options.similarity ?? 0.95);
  let deleted = 0;
  for (const set of sets) {
    for (const memory of set.drop) if (await deps.memories.delete(orgId, memory.id)) deleted++;
    await deps.memories.write({
      ...set.keep,
      accessCount: set.drop.reduce((sum, memory) => sum + memory.accessCount, set.keep.accessCount),
      metadata: { ...set.keep.metadata, merged: set.drop.length + Number(set.keep.metadata['merged'] ?? 0) },
    });
  }
  const decay = await deps.memories.decay(
    orgId,
    now - (options.staleAfterMs ?? 30 * day),
    options.decayFactor ?? 0.8,
    options.floor ?? 0.05,
  );
  return {
    stats,
    plans: { total: plans.length, unreliable: plans.filter((plan) => plan.failures > plan.successes).length },
    memoriesBefore: before.length,
    merged: { groups: sets.length, deleted },
    decayed: decay.decayed - decay.deleted,
    deletedByDecay: decay.deleted,
    memoriesAfter: before.length - deleted - decay.deleted,
  };
}
