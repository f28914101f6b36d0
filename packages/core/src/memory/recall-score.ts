import type { Memory, MemoryKind, ScoredMemory } from '../ports/memory-store.ts';
import { cosineSimilarity, embedText } from './embed.ts';

/** How much relevance, recency and importance count in a recall score. */
export interface RecallWeights {
  /** @default 0.6 */
  relevance: number;
  /** @default 0.2 */
  recency: number;
  /** @default 0.2 */
  importance: number;
}

/** Default recall weights: relevance first, recency and importance as tie-breakers that still matter. */
export const defaultRecallWeights: Readonly<RecallWeights> = Object.freeze({
  relevance: 0.6,
  recency: 0.2,
  importance: 0.2,
});

/** Default half-life of the recency decay: one week. */
export const defaultRecallHalfLifeMs = 7 * 24 * 60 * 60 * 1000;

/**
 * Recency in (0, 1]: `0.5^(age / halfLife)`; a future timestamp counts as age 0, a half-life under 1 ms
 * as 1 ms, and the exponent stops at 1000 half-lives (where PostgreSQL's `power` would underflow).
 */
export function recencyOf(ageMs: number, halfLifeMs = defaultRecallHalfLifeMs): number {
  return Math.pow(0.5, Math.min(Math.max(0, ageMs) / Math.max(halfLifeMs, 1), 1000));
}

const clamp01 = (value: number): number =>
  value < 0 ? 0 : value > 1 ? 1 : Number.isFinite(value) ? value : 0;

/** The parts of a recall score and their weighted sum. */
export interface RecallScore {
  score: number;
  relevance: number;
  recency: number;
  importance: number;
}

/**
 * `w_rel·relevance + w_rec·0.5^(age/halfLife) + w_imp·importance`, each part clamped to [0, 1]. The one
 * recall score of every store: in-memory stores call it, and the SQL store's `recallScoreSql`
 * (platform `store/repositories/memory-store.ts`) is its twin, checked equal by the MemoryStore contract.
 */
export function recallScore(
  item: { relevance: number; ageMs: number; importance: number },
  options: { weights?: RecallWeights; halfLifeMs?: number } = {},
): RecallScore {
  const weights = options.weights ?? defaultRecallWeights;
  const relevance = clamp01(item.relevance);
  const recency = recencyOf(item.ageMs, options.halfLifeMs);
  const importance = clamp01(item.importance);
  const score = weights.relevance * relevance + weights.recency * recency + weights.importance * importance;
  return { score, relevance, recency, importance };
}

/**
 * Ranks memories for a query in memory (for the in-memory store and for re-ranking). Relevance is
 * the cosine of the stored embeddings when both exist with the same length, else of local hashed
 * embeddings of the texts. Age counts from the last access. Ties go to the newer memory, then the id.
 */
export function rankMemories(
  query: {
    text: string;
    embedding: readonly number[] | null;
    now: number;
    limit: number;
    kinds?: readonly MemoryKind[];
    weights?: RecallWeights;
    halfLifeMs?: number;
  },
  memories: readonly Memory[],
): ScoredMemory[] {
  const localQuery = embedText(query.text);
  const scored = memories
    .filter((memory) => !query.kinds || query.kinds.includes(memory.kind))
    .map((memory) => {
      const relevance =
        query.embedding && memory.embedding && memory.embedding.length === query.embedding.length
          ? cosineSimilarity(query.embedding, memory.embedding)
          : cosineSimilarity(localQuery, embedText(memory.text));
      const lastTouched = Math.max(memory.createdAt, memory.lastAccessedAt);
      const parts = recallScore(
        { relevance, ageMs: query.now - lastTouched, importance: memory.importance },
        {
          ...(query.weights ? { weights: query.weights } : {}),
          ...(query.halfLifeMs ? { halfLifeMs: query.halfLifeMs } : {}),
        },
      );
      return { memory, ...parts };
    });
  scored.sort(
    (a, b) =>
      b.score - a.score || b.memory.createdAt - a.memory.createdAt || (a.memory.id < b.memory.id ? -1 : 1),
  );
  return scored.slice(0, Math.max(0, query.limit));
}
