/** Dimensions of the local embedder's vectors. */
export const localEmbeddingDimensions = 256;

/** 32-bit FNV-1a hash of a string (UTF-16 code units). */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Lowercased words of a text (letters and digits, any script). */
export function wordsOf(text: string): string[] {
  return text
    .toLowerCase()
    .normalize('NFKC')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0);
}

/**
 * A local, deterministic embedding: word unigrams and character 3-grams (of each word padded with
 * spaces, so prefixes and suffixes count) hashed with FNV-1a into `dimensions` buckets with a
 * hash-derived sign (which keeps collisions from adding up), then L2-normalized. No model, no I/O:
 * used when no embedding provider is configured. The empty text gives the zero vector.
 */
export function embedText(text: string, dimensions = localEmbeddingDimensions): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const add = (feature: string, weight: number): void => {
    const hash = fnv1a(feature);
    const sign = hash & 0x80000000 ? -1 : 1;
    const bucket = hash % dimensions;
    vector[bucket] = (vector[bucket] ?? 0) + sign * weight;
  };
  for (const word of wordsOf(text)) {
    add(`w:${word}`, 1);
    const padded = ` ${word} `;
    for (let index = 0; index + 3 <= padded.length; index++) add(`c:${padded.slice(index, index + 3)}`, 0.5);
  }
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
  return norm === 0 ? vector : vector.map((value) => value / norm);
}

/** Cosine similarity of two vectors of the same length; 0 when either is the zero vector. */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`vectors differ in length: ${a.length} vs ${b.length}`);
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index++) {
    const x = a[index] ?? 0;
    const y = b[index] ?? 0;
    dot += x * y;
    normA += x * x;
    normB += y * y;
  }
  return normA === 0 || normB === 0 ? 0 : dot / Math.sqrt(normA * normB);
}
