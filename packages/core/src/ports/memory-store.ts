/** Kinds of long-term memory. */
export type MemoryKind = 'episode' | 'fact' | 'lesson' | 'summary';

/** A memory as stored. */
export interface Memory {
  id: string;
  orgId: string;
  agentId: string;
  kind: MemoryKind;
  text: string;
  /** 0..1 */
  importance: number;
  embedding: number[] | null;
  runId: string | null;
  metadata: Record<string, unknown>;
  createdAt: number;
  lastAccessedAt: number;
  accessCount: number;
}

/** A recall query. Scores are computed by the store from the weights given. */
export interface RecallQuery {
  orgId: string;
  agentId: string;
  text: string;
  embedding: number[] | null;
  kinds?: MemoryKind[];
  limit: number;
  now: number;
  weights: { relevance: number; recency: number; importance: number };
  /** Half-life of the recency decay, in milliseconds. */
  halfLifeMs: number;
}

/** A recalled memory with the parts of its score. */
export interface ScoredMemory {
  memory: Memory;
  score: number;
  relevance: number;
  recency: number;
  importance: number;
}

/** Long-term memory: episodes, facts, lessons. */
export interface MemoryStore {
  write(memory: Memory): Promise<Memory>;
  /**
   * The best memories for the query; each one returned is marked accessed (recency now, one more
   * access). A SQL store skips the mark of a memory that a concurrent recall is marking at that
   * instant (its recency is being set anyway): under concurrent recalls `accessCount` can undercount.
   */
  recall(query: RecallQuery): Promise<ScoredMemory[]>;
  list(filter: {
    orgId: string;
    agentId?: string;
    kind?: MemoryKind;
    limit?: number;
    before?: string;
  }): Promise<Memory[]>;
  get(orgId: string, id: string): Promise<Memory | undefined>;
  delete(orgId: string, id: string): Promise<boolean>;
  /** Multiplies importance of memories not accessed since `before` by `factor`; deletes those below `floor`. */
  decay(
    orgId: string,
    before: number,
    factor: number,
    floor: number,
  ): Promise<{ decayed: number; deleted: number }>;
  /** True when vector search runs in the database (pgvector); false when ranking falls back to full text. */
  readonly vectorSearch: boolean;
}
