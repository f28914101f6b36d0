import type { Config, ConfigKey } from './schema.ts';
import { secretKeys, urlKeys } from './schema.ts';

/** A value safe to print: secrets shown as `****` plus their last 2 characters, URL passwords masked. */
export function maskValue(key: ConfigKey, value: unknown): string {
  if (value === undefined) return '(unset)';
  if (secretKeys.includes(key)) {
    const text = String(value);
    return text.length > 8 ? `****${text.slice(-2)}` : '****';
  }
  if (urlKeys.includes(key) && typeof value === 'string') return maskUrl(value);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A URL with its password replaced by `****`. Unparseable input is shown only as its scheme. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '****';
    return parsed.toString();
  } catch {
    const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0];
    return `${scheme ?? ''}(unparseable)`;
  }
}

/** Every secret value present in the configuration (for redaction), longest first. */
export function secretValues(config: Config): string[] {
  const values: string[] = [];
  for (const key of secretKeys) {
    const value = config[key];
    if (typeof value === 'string' && value.length >= 4) values.push(value);
  }
  for (const key of urlKeys) {
    const value = config[key];
    if (typeof value !== 'string') continue;
    try {
      const password = decodeURIComponent(new URL(value).password);
      if (password.length >= 4) values.push(password);
    } catch {
      // An unparseable URL holds no password we could find; the store reports it as invalid.
    }
  }
  return values.sort((a, b) => b.length - a.length);
}
