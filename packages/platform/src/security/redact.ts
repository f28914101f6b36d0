/** Replaces every occurrence of a secret in strings nested anywhere in a value. */
export type Redactor = <T>(value: T) => T;

/** Placeholder that replaces a secret. */
export const redactedMarker = '[REDACTED]';

/** A redactor for the given secret values (values shorter than 4 characters are ignored). */
export function createRedactor(secrets: readonly string[]): Redactor {
  const list = [...new Set(secrets.filter((secret) => secret.length >= 4))].sort(
    (a, b) => b.length - a.length,
  );
  if (list.length === 0) return <T>(value: T): T => value;
  const scrub = (text: string): string => {
    let result = text;
    for (const secret of list)
      if (result.includes(secret)) result = result.split(secret).join(redactedMarker);
    return result;
  };
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return scrub(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object') {
      const copy: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value)) copy[key] = walk(inner);
      return copy;
    }
    return value;
  };
  return <T>(value: T): T => walk(value) as T;
}
