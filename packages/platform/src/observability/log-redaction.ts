/**
 * What keeps secrets out of log lines, in two layers (ARCHITECTURE §8: "secrets never appear in logs"):
 *
 * 1. by **field name**, before a line is serialized: any field called like a credential
 *    (`authorization`, `cookie`, `password`, `token`, `apiKey`, `secret`…), at any depth, is replaced;
 * 2. by **value**, on the serialized line: every configured secret (the values of the configuration's
 *    secret keys and URL passwords, `config/mask.ts` `secretValues`) is replaced wherever it appears —
 *    in a message, an error's stack, a URL — raw, JSON-escaped or percent-encoded; and the values of
 *    credential-like query parameters (`?token=…`) are cut from every URL.
 */
import { redactedMarker } from '../security/redact.ts';

/** Field names whose values are credentials, compared without case, `-` and `_`. */
const secretFieldNames = new Set(
  [
    'authorization',
    'proxy-authorization',
    'cookie',
    'set-cookie',
    'password',
    'passwd',
    'passphrase',
    'secret',
    'client-secret',
    'jwt-secret',
    'token',
    'access-token',
    'refresh-token',
    'id-token',
    'bearer',
    'api-key',
    'apikey',
    'x-api-key',
    'private-key',
    'credentials',
    'session',
  ].map((name) => normalizeFieldName(name)),
);

function normalizeFieldName(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '');
}

/** True when a field of this name holds a credential (`Authorization`, `api_key`, `refreshToken`…). */
export function isSecretField(name: string): boolean {
  return secretFieldNames.has(normalizeFieldName(name));
}

const maxDepth = 10;

const isPlainObject = (value: object): boolean => {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

/**
 * A copy of a log object with every credential-named field replaced by `[REDACTED]`, at any depth.
 * Only plain objects and arrays are copied: errors, dates and buffers are left to pino's serializers
 * (their text goes through the value layer). Cycles and very deep values are cut.
 */
export function redactSecretFields(value: Record<string, unknown>): Record<string, unknown> {
  const seen = new WeakSet<object>();
  const walk = (current: unknown, depth: number): unknown => {
    if (current === null || typeof current !== 'object') return current;
    if (seen.has(current)) return '[Circular]';
    if (Array.isArray(current)) {
      if (depth >= maxDepth) return '[Array]';
      seen.add(current);
      const copy = current.map((item) => walk(item, depth + 1));
      seen.delete(current);
      return copy;
    }
    if (!isPlainObject(current)) return current;
    if (depth >= maxDepth) return '[Object]';
    seen.add(current);
    const copy: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(current)) {
      copy[key] = isSecretField(key) && inner !== undefined ? redactedMarker : walk(inner, depth + 1);
    }
    seen.delete(current);
    return copy;
  };
  return walk(value, 0) as Record<string, unknown>;
}

/** Credential-like query parameters: their values are cut from every URL in a line. */
const secretQueryParameter =
  /([?&](?:access_token|refresh_token|id_token|token|api_key|apikey|key|password|secret|signature|sig|code)=)[^&#\s"\\]*/gi;

/** The forms a secret may take in a serialized line: as is, JSON-escaped, percent-encoded. */
function spellings(secret: string): string[] {
  const forms = new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
  return [...forms].filter((form) => form.length >= 4);
}

/**
 * A function that scrubs a serialized log line: every spelling of every secret (values shorter than 4
 * characters are ignored, as by `createRedactor`) and every credential-like query parameter value.
 */
export function lineScrubber(secrets: readonly string[]): (line: string) => string {
  const forms = [...new Set(secrets.flatMap(spellings))].sort((a, b) => b.length - a.length);
  return (line) => {
    let result = line;
    for (const form of forms) if (result.includes(form)) result = result.split(form).join(redactedMarker);
    // Most lines carry no URL with a query: skip the regular expression for them.
    return result.includes('=') ? result.replace(secretQueryParameter, `$1${redactedMarker}`) : result;
  };
}
