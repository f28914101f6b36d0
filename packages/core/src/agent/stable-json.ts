import { stableStringify } from '../stable-json.ts';

/** A 53-bit non-cryptographic hash (cyrb53) of a string, as 14 hex digits. Pure, no I/O. */
export function hashString(text: string, seed = 0): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}

/** The hash of a tool call's arguments, stable across key order. */
export const hashArgs = (args: unknown): string => hashString(stableStringify(args));

/**
 * Bounds a value for storage: values whose JSON exceeds `maxBytes` characters are replaced by a
 * truncated preview, so one huge tool result cannot bloat every later step.
 */
export function boundValue(value: unknown, maxChars: number): unknown {
  const text = JSON.stringify(value);
  if (text === undefined || text.length <= maxChars) return value;
  return { truncated: true, originalChars: text.length, preview: text.slice(0, maxChars) };
}
