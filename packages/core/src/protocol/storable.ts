/**
 * What the store can hold. PostgreSQL (and PGlite) refuse a NUL character in `text` and `jsonb`, and an
 * unpaired UTF-16 surrogate in `jsonb`. Values a model or a tool produces may contain either, so every
 * such value is made storable where it enters the loop — before it is executed, shown to the brain or
 * committed — and what runs is exactly what is stored.
 */

/** What a NUL character or an unpaired surrogate becomes: U+FFFD, the Unicode replacement character. */
export const replacementCharacter = '\uFFFD';

const nul = String.fromCharCode(0);

/** True when `text` holds nothing the store refuses. */
export const isStorableText = (text: string): boolean => !text.includes(nul) && text.isWellFormed();

/** `text` with every NUL and unpaired surrogate replaced by U+FFFD (the same string when clean). */
export function storableText(text: string): string {
  if (isStorableText(text)) return text;
  return text.toWellFormed().replaceAll(nul, replacementCharacter);
}

/**
 * A deep copy of `value` in which every string (object keys included) is {@link storableText}. Returns
 * `value` itself when nothing needed replacing, so clean values cost one walk and no allocation.
 */
export function storableValue<T>(value: T): T {
  return clean(value) as T;
}

function clean(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, index) => {
      const cleaned = clean(item);
      if (cleaned !== item) {
        copy ??= [...value];
        copy[index] = cleaned;
      }
    });
    return copy ?? value;
  }
  if (value !== null && typeof value === 'object' && isPlain(value)) {
    let copy: Record<string, unknown> | undefined;
    const entries = Object.entries(value);
    for (const [key, item] of entries) {
      const cleanKey = storableText(key);
      const cleaned = clean(item);
      if (cleanKey !== key || cleaned !== item) {
        copy ??= Object.fromEntries(entries.map(([k, v]) => [storableText(k), v]));
        copy[cleanKey] = cleaned;
      }
    }
    return copy ?? value;
  }
  return value;
}

const isPlain = (value: object): boolean => {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

/**
 * The JSON path (`inputs.files[2]`) of the first string in `value` the store would refuse, or undefined.
 * For user input, which is refused with a clear error rather than silently changed.
 */
export function findUnstorable(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return isStorableText(value) ? undefined : path || '(value)';
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findUnstorable(item, `${path}[${index}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const here = path ? `${path}.${key}` : key;
      if (!isStorableText(key)) return here;
      const found = findUnstorable(item, here);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
