/**
 * JSON with object keys sorted at every level (by UTF-16 code units, integer-like keys included), so
 * equal values serialize the same way whatever their key order — after a jsonb round trip too.
 * Properties whose value is `undefined` are skipped; anything else that is not JSON (`undefined` at the
 * top or in an array, a function) becomes `null`.
 *
 * The audit log's hash chain hashes this text: existing rows verify only while its output stays
 * byte-for-byte the same (`stable-json.test.ts` pins it).
 */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  // Built as text, not as a sorted object: an object would put integer-like keys ('10', '9') first.
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableStringify(item)}`).join(',')}}`;
}
