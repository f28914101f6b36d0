import type { Clock, MemoryStore, ToolContext } from '@autonoma/core';
import { defaultRecallHalfLifeMs, defaultRecallWeights, embedText, hashString } from '@autonoma/core';
import type { MemoryPort } from '../tools/builtins/options.ts';

/** What the memory tools need. */
export interface MemoryPortDeps {
  memories: MemoryStore;
  clock: Clock;
  /** @default the local hashed n-gram embedder */
  embed?: (text: string) => Promise<number[]>;
}

/**
 * The `memory_recall` / `memory_store` tools' access to long-term memory. A stored fact's id derives
 * from the call's idempotency key, so a retried call overwrites instead of duplicating.
 */
export function createMemoryPort(deps: MemoryPortDeps): MemoryPort {
  const embed = deps.embed ?? (async (text: string) => embedText(text));
  return {
    async recall(query: string, limit: number, context: ToolContext) {
      const scored = await deps.memories.recall({
        orgId: context.orgId,
        agentId: context.agentId,
        text: query,
        embedding: await embed(query),
        limit,
        now: deps.clock.now(),
        weights: defaultRecallWeights,
        halfLifeMs: defaultRecallHalfLifeMs,
      });
      return scored.map((item) => ({
        id: item.memory.id,
        kind: item.memory.kind,
        text: item.memory.text,
        score: Math.round(item.score * 1000) / 1000,
        relevance: Math.round(item.relevance * 1000) / 1000,
      }));
    },
    async store(text: string, importance: number, context: ToolContext) {
      const now = deps.clock.now();
      const memory = await deps.memories.write({
        id: `mem_${hashString(context.callId)}`,
        orgId: context.orgId,
        agentId: context.agentId,
        kind: 'fact',
        text,
        importance,
        embedding: await embed(text),
        runId: context.runId,
        metadata: { callId: context.callId },
        createdAt: now,
        lastAccessedAt: now,
        accessCount: 0,
      });
      return { id: memory.id };
    },
  };
}
