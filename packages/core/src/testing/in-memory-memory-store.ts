import type { Memory, MemoryKind, MemoryStore, RecallQuery, ScoredMemory } from '../ports/memory-store.ts';
import { recallScore } from '../memory/recall-score.ts';
import { copy } from './in-memory-run-store.ts';

/** Cosine similarity, or null when either side is missing, of another size, or zero. */
export function cosineSimilarity(a: readonly number[] | null, b: readonly number[] | null): number | null {
  if (a === null || b === null || a.length === 0 || a.length !== b.length) return null;
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index += 1) {
    const x = a[index] ?? 0;
    const y = b[index] ?? 0;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  return normA > 0 && normB > 0 ? dot / (Math.sqrt(normA) * Math.sqrt(normB)) : null;
}

/** Common English stop words, ignored like PostgreSQL's `english` text-search configuration does. */
const stopWords = new Set(
  'a an and are as at be but by did do does for from had has have how i if in is it its of on or so than that the their then there these they this to was were what when where which who why will with you your'.split(
    ' ',
  ),
);

const words = (text: string): Set<string> =>
  new Set((text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((word) => !stopWords.has(word)));

/**
 * Text relevance in 0..1 shaped like `ts_rank(…, 32)`: each shared word adds to a rank r, reported as
 * r / (r + 1). Only the order matters to callers.
 */
function textRelevance(query: string, text: string): number {
  const wanted = words(query);
  if (wanted.size === 0) return 0;
  const present = words(text);
  let shared = 0;
  for (const word of wanted) if (present.has(word)) shared += 1;
  const rank = shared * 0.1;
  return rank / (rank + 1);
}

/** An in-memory {@link MemoryStore}: scores every memory of the agent (no candidate bound). */
export class InMemoryMemoryStore implements MemoryStore {
  readonly vectorSearch = false;
  readonly #memories = new Map<string, Memory>();

  async write(memory: Memory): Promise<Memory> {
    const existing = this.#memories.get(memory.id);
    const stored = { ...copy(memory), ...(existing === undefined ? {} : { createdAt: existing.createdAt }) };
    this.#memories.set(memory.id, stored);
    return copy(stored);
  }

  async recall(query: RecallQuery): Promise<ScoredMemory[]> {
    const scored = [...this.#memories.values()]
      .filter(
        (memory) =>
          memory.orgId === query.orgId &&
          memory.agentId === query.agentId &&
          (query.kinds === undefined || query.kinds.length === 0 || query.kinds.includes(memory.kind)),
      )
      .map((memory) => {
        const cosine = cosineSimilarity(memory.embedding, query.embedding);
        const parts = recallScore(
          {
            relevance: cosine ?? textRelevance(query.text, memory.text),
            ageMs: query.now - memory.lastAccessedAt,
            importance: memory.importance,
          },
          { weights: query.weights, halfLifeMs: query.halfLifeMs },
        );
        return { memory, ...parts };
      })
      .sort(
        (a, b) =>
          b.score - a.score ||
          b.memory.createdAt - a.memory.createdAt ||
          (a.memory.id < b.memory.id ? -1 : a.memory.id > b.memory.id ? 1 : 0),
      )
      .slice(0, query.limit);
    for (const item of scored) {
      item.memory.lastAccessedAt = Math.max(item.memory.lastAccessedAt, query.now);
      item.memory.accessCount += 1;
    }
    return scored.map((item) => ({ ...item, memory: copy(item.memory) }));
  }

  async list(filter: {
    orgId: string;
    agentId?: string;
    kind?: MemoryKind;
    limit?: number;
    before?: string;
  }): Promise<Memory[]> {
    const newestFirst = (a: Memory, b: Memory): number =>
      b.createdAt - a.createdAt || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0);
    const cursor = filter.before === undefined ? undefined : this.#memories.get(filter.before);
    return [...this.#memories.values()]
      .filter(
        (memory) =>
          memory.orgId === filter.orgId &&
          (filter.agentId === undefined || memory.agentId === filter.agentId) &&
          (filter.kind === undefined || memory.kind === filter.kind) &&
          (filter.before === undefined ||
            (cursor !== undefined && cursor.orgId === filter.orgId && newestFirst(cursor, memory) < 0)),
      )
      .sort(newestFirst)
      .slice(0, filter.limit ?? 50)
      .map(copy);
  }

  async get(orgId: string, id: string): Promise<Memory | undefined> {
    const memory = this.#memories.get(id);
    return memory?.orgId === orgId ? copy(memory) : undefined;
  }

  async delete(orgId: string, id: string): Promise<boolean> {
    if (this.#memories.get(id)?.orgId !== orgId) return false;
    return this.#memories.delete(id);
  }

  async decay(
    orgId: string,
    before: number,
    factor: number,
    floor: number,
  ): Promise<{ decayed: number; deleted: number }> {
    let decayed = 0;
    let deleted = 0;
    for (const memory of [...this.#memories.values()]) {
      if (memory.orgId !== orgId || memory.lastAccessedAt >= before) continue;
      decayed += 1;
      memory.importance *= factor;
      if (memory.importance < floor) {
        this.#memories.delete(memory.id);
        deleted += 1;
      }
    }
    return { decayed, deleted };
  }
}
