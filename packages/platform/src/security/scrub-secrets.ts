/**
 * Pattern-based removal of secret-looking strings (API keys, tokens, private keys, passwords in URLs)
 * from text that outlives a run: episodic memories and lessons are recalled into other runs' prompts,
 * so a key a user pasted into a goal must not travel with them. Configured secrets are removed by the
 * exact-value redactor (`redact.ts`); this catches the ones Autonoma was never told about.
 */
import { redactedMarker } from './redact.ts';

const patterns: readonly RegExp[] = [
  // PEM private keys, whole blocks.
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  // Provider keys with well-known prefixes: OpenAI/Anthropic, GitHub, Slack, Google, AWS, Stripe, ours.
  /\bsk-(?:ant-)?[A-Za-z0-9_-]{16,}/g,
  /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g,
  /\bAIza[0-9A-Za-z_-]{30,}/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}/g,
  /\bak_[A-Za-z0-9_-]{20,}/g,
  // JSON Web Tokens.
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
  // Bearer tokens in headers.
  /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{16,}/gi,
];

/** `name=value` / `name: value` pairs whose name says secret. */
const namedSecret =
  /\b((?:api[_-]?key|secret|token|password|passwd|pwd)["']?\s*[:=]\s*["']?)[^\s"',;&]{6,}/gi;
/** The password of a URL's userinfo: `scheme://user:password@host`. */
const urlPassword = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+(@)/gi;

/** `text` with every secret-looking string replaced by `[REDACTED]`. */
export function scrubSecrets(text: string): string {
  let result = text;
  for (const pattern of patterns) {
    result = result.replace(pattern, (match: string, prefix?: string) =>
      typeof prefix === 'string' && /^Bearer\s+$/i.test(prefix)
        ? `${prefix}${redactedMarker}`
        : redactedMarker,
    );
  }
  return result
    .replace(namedSecret, (_match, name: string) => `${name}${redactedMarker}`)
    .replace(urlPassword, (_match, head: string, at: string) => `${head}${redactedMarker}${at}`);
}
