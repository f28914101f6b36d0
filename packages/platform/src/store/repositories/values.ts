/** Conversions between raw SQL rows and domain values, shared by the repositories. */
import { storableValue } from '@autonoma/core';

/** A number from a driver value (int8 arrives as string in pg and as bigint in PGlite when large). */
export const toNumber = (value: unknown): number => {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') return Number(value);
  return Number.NaN;
};

/** A number or null. */
export const toNumberOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : toNumber(value);

/** A string or null. */
export const toStringOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);

/** A parsed JSON value (drivers parse jsonb already; `row_to_json` nests it too). */
export const fromJson = (value: unknown): unknown => (value === undefined ? null : value);

/**
 * True when JSON text may hold an escape PostgreSQL refuses in `jsonb`: `\u0000`, or an unpaired
 * surrogate (JSON.stringify escapes only those, as lowercase `\ud8…`–`\udf…`). Two substring scans: this
 * runs on every jsonb parameter, and a false positive only costs the slow, exact path.
 */
const mayBeUnstorable = (text: string): boolean => text.includes('\\u0000') || text.includes('\\ud');

/**
 * JSON text for a `::jsonb` parameter. A NUL or an unpaired surrogate anywhere in the value becomes
 * U+FFFD (see core's `storableValue`): the loop already cleans what models and tools produce, this keeps
 * every other writer from ever sending the store what it refuses.
 */
export function jsonText(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return mayBeUnstorable(text) ? (JSON.stringify(storableValue(value)) ?? 'null') : text;
}

/** A jsonb parameter: text the statement casts with `::jsonb`, or SQL NULL. */
export const jsonParameter = (value: unknown): string | null =>
  value === undefined || value === null ? null : jsonText(value);

/** A `real[]` literal such as `{0.1,0.2}` for a `::real[]` cast, or null. */
export const realArrayLiteral = (values: readonly number[] | null): string | null =>
  values === null
    ? null
    : `{${values.map((value) => (Number.isFinite(value) ? String(value) : '0')).join(',')}}`;

/** A pgvector literal such as `[0.1,0.2]`, or null. */
export const vectorLiteral = (values: readonly number[] | null): string | null =>
  values === null
    ? null
    : `[${values.map((value) => (Number.isFinite(value) ? String(value) : '0')).join(',')}]`;

/** A number[] from a `real[]` column value. */
export const toNumberArray = (value: unknown): number[] | null => {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(toNumber);
  if (typeof value === 'string') {
    const inner = value.replace(/^[{[]|[}\]]$/g, '');
    return inner === '' ? [] : inner.split(',').map(Number);
  }
  return null;
};

/** Dimension of the pgvector shadow columns (the local embedder's size). */
export const vectorDimension = 256;
