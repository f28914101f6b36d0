import type {
  Clock,
  Memory,
  MemoryKind,
  MemoryStore,
  PlanStore,
  ReusablePlan,
  Scope,
  ScoredMemory,
  StatsStore,
} from '@autonoma/core';
import { defaultRecallHalfLifeMs, defaultRecallWeights, embedText, notFound } from '@autonoma/core';
import type { RefreshReport } from '../learning/refresh.ts';
import { refreshLearning } from '../learning/refresh.ts';

/** What the memory service needs. */
export interface MemoryServiceDeps {
  memories: MemoryStore;
  stats: StatsStore;
  plans: PlanStore;
  clock: Clock;
  /**
   * Embeds a query like stored memories were embedded; absent when a provider embeds them (then recall
   * ranks by full text rather than compare vectors of two different embedders).
   * @default the local hashed n-gram embedder
   */
  embedQuery?: ((text: string) => number[]) | null;
}

/** Long-term memory of the caller's organization: list, search (with each score's parts), delete, refresh. */
export class MemoryService {
  readonly #deps: MemoryServiceDeps;

  constructor(deps: MemoryServiceDeps) {
    this.#deps = deps;
  }

  /** Memories, newest first. */
  list(
    scope: Scope,
    filter: { agentId?: string; kind?: MemoryKind; limit?: number; before?: string } = {},
  ): Promise<Memory[]> {
    return this.#deps.memories.list({ ...filter, orgId: scope.orgId });
  }

  /** Recall for one agent, as a run would see it. */
  search(scope: Scope, query: { agentId: string; text: string; limit: number }): Promise<ScoredMemory[]> {
    const embed = this.#deps.embedQuery === undefined ? embedText : this.#deps.embedQuery;
    return this.#deps.memories.recall({
      orgId: scope.orgId,
      agentId: query.agentId,
      text: query.text,
      embedding: embed ? embed(query.text) : null,
      limit: query.limit,
      now: this.#deps.clock.now(),
      weights: defaultRecallWeights,
      halfLifeMs: defaultRecallHalfLifeMs,
    });
  }

  /** Reusable plans learned from successful runs (all agents', or one's), most used first. */
  async plans(scope: Scope, filter: { agentId?: string } = {}): Promise<ReusablePlan[]> {
    const plans = await this.#deps.plans.list(scope.orgId, filter.agentId);
    return plans.sort(
      (a, b) => b.successes + b.failures - (a.successes + a.failures) || b.updatedAt - a.updatedAt,
    );
  }

  /** Deletes a memory; `not_found` when there is none. */
  async delete(scope: Scope, memoryId: string): Promise<void> {
    if (!(await this.#deps.memories.delete(scope.orgId, memoryId))) throw notFound('memory', memoryId);
  }

  /** The learning-refresh job for the organization, now. */
  refresh(
    scope: Scope,
    options: { similarity?: number; staleAfterMs?: number } = {},
  ): Promise<RefreshReport> {
    return refreshLearning(this.#deps, { ...options, orgId: scope.orgId, now: this.#deps.clock.now() });
  }
}
