/**
 * A small SQL tagged template: the only query-building the store needs at runtime. Interpolated values
 * become `$n` parameters; interpolated fragments are inlined with their parameters renumbered. It
 * replaces drizzle-orm's `sql`, whose import alone cost ~250 MB of RSS (see docs/store.md).
 */

/**
 * A value bound as one parameter, handed to the driver as it is: node-postgres and PGlite serialize it
 * (arrays as PostgreSQL arrays, other objects as JSON). The repositories pass JSON as text themselves
 * and cast it with `::jsonb`. `undefined` is not a value: write `?? null`.
 */
export type SqlValue =
  | string
  | number
  | boolean
  | bigint
  | Date
  | Uint8Array
  | null
  | readonly unknown[]
  | { readonly [key: string]: unknown };

/** A statement ready for a driver: text with `$1…$n` placeholders and their values. */
export interface Query {
  text: string;
  values: unknown[];
}

/** A SQL fragment: text pieces interleaved with parameters and nested fragments. */
export class SQL {
  /** Literal text; one more piece than `parts`. */
  readonly strings: readonly string[];
  /** What goes between consecutive `strings`: a parameter value or a nested fragment. */
  readonly parts: readonly (SQL | SqlValue)[];

  constructor(strings: readonly string[], parts: readonly (SQL | SqlValue)[]) {
    if (strings.length !== parts.length + 1) throw new TypeError('SQL: strings must be parts + 1');
    this.strings = strings;
    this.parts = parts;
  }
}

function append(fragment: SQL, query: Query): string {
  let text = fragment.strings[0] ?? '';
  fragment.parts.forEach((part, index) => {
    if (part instanceof SQL) {
      text += append(part, query);
    } else {
      // A JS `undefined` silently becoming NULL (or vanishing) would hide a bug in the caller.
      if ((part as unknown) === undefined) throw new TypeError(`SQL: parameter ${index + 1} is undefined`);
      query.values.push(part);
      text += `$${query.values.length}`;
    }
    text += fragment.strings[index + 1] ?? '';
  });
  return text;
}

/** Renders a fragment as driver input; parameters are numbered `$1…$n` in order of appearance. */
export function toQuery(fragment: SQL): Query {
  const query: Query = { text: '', values: [] };
  query.text = append(fragment, query);
  return query;
}

/** The `sql` tag plus its helpers. */
export interface SqlTag {
  (strings: TemplateStringsArray, ...parts: (SQL | SqlValue)[]): SQL;
  /** Text inlined verbatim, never a parameter: only for constants and trusted identifiers. */
  raw(text: string): SQL;
  /** The fragments with `separator` between them (an empty fragment for an empty list). */
  join(fragments: readonly SQL[], separator: SQL): SQL;
}

/**
 * Builds a fragment: `sql\`SELECT * FROM runs WHERE id = ${id} AND ${condition}\``. Values become
 * parameters, fragments are inlined.
 */
export const sql: SqlTag = Object.assign(
  (strings: TemplateStringsArray, ...parts: (SQL | SqlValue)[]): SQL => new SQL([...strings], parts),
  {
    raw: (text: string): SQL => new SQL([text], []),
    join: (fragments: readonly SQL[], separator: SQL): SQL => {
      const parts: SQL[] = [];
      fragments.forEach((fragment, index) => {
        if (index > 0) parts.push(separator);
        parts.push(fragment);
      });
      return new SQL(parts.length === 0 ? [''] : ['', ...parts.map(() => '')], parts);
    },
  },
);

/**
 * Parameters as the store can take them: a NUL in a string parameter becomes U+FFFD (PostgreSQL text
 * refuses NUL). The same array when nothing needed changing.
 */
export function storableParameters(values: unknown[]): unknown[] {
  let copy: unknown[] | undefined;
  values.forEach((value, index) => {
    if (typeof value === 'string' && value.includes('\u0000')) {
      copy ??= [...values];
      copy[index] = value.replaceAll('\u0000', '\uFFFD');
    }
  });
  return copy ?? values;
}
