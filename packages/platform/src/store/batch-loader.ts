/**
 * Coalesces concurrent point reads into one statement: the lookups asked during one turn of the event
 * loop are read together right after it (`setImmediate`), and each caller gets its own row. Under load
 * (an API key checked and an agent resolved on every request) that is one round trip per turn instead
 * of one per request; a lone lookup waits for nothing but the end of the current turn.
 *
 * Nothing is cached: every call is answered by a statement that starts after the call was made, so a
 * change committed before a lookup (a key revoked, an agent updated) is seen by it.
 */

/** Reads the rows of many lookups at once: a map from each found lookup's {@link BatchLoaderOptions.keyOf}. */
export type LoadMany<K, V> = (lookups: readonly K[]) => Promise<ReadonlyMap<string, V>>;

/** Options of {@link batchLoader}. */
export interface BatchLoaderOptions<K> {
  /** The identity of a lookup: equal lookups share one read. */
  keyOf(lookup: K): string;
  /** Lookups one statement reads at most. @default 500 */
  maxBatch?: number;
}

/** A lookup waiting for its batch. */
interface Waiting<V> {
  resolve(value: V | undefined): void;
  reject(error: unknown): void;
}

/** A function reading one lookup, whose concurrent calls `load` answers together. */
export function batchLoader<K, V>(
  load: LoadMany<K, V>,
  options: BatchLoaderOptions<K>,
): (lookup: K) => Promise<V | undefined> {
  const maxBatch = options.maxBatch ?? 500;
  let queued = new Map<string, { lookup: K; waiting: Waiting<V>[] }>();
  let scheduled = false;
  const read = async (batch: Map<string, { lookup: K; waiting: Waiting<V>[] }>): Promise<void> => {
    try {
      const found = await load([...batch.values()].map((entry) => entry.lookup));
      for (const [key, entry] of batch) for (const caller of entry.waiting) caller.resolve(found.get(key));
    } catch (error) {
      for (const entry of batch.values()) for (const caller of entry.waiting) caller.reject(error);
    }
  };
  const flush = (): void => {
    scheduled = false;
    const all = queued;
    queued = new Map();
    let batch = new Map<string, { lookup: K; waiting: Waiting<V>[] }>();
    for (const [key, entry] of all) {
      batch.set(key, entry);
      if (batch.size >= maxBatch) {
        void read(batch);
        batch = new Map();
      }
    }
    if (batch.size > 0) void read(batch);
  };
  return (lookup) =>
    new Promise<V | undefined>((resolve, reject) => {
      const key = options.keyOf(lookup);
      const entry = queued.get(key);
      if (entry) entry.waiting.push({ resolve, reject });
      else queued.set(key, { lookup, waiting: [{ resolve, reject }] });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
