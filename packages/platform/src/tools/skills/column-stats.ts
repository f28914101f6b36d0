/** Statistics of one column. Numeric fields are present when every non-missing value is a number. */
export interface ColumnStats {
  column: string;
  count: number;
  missing: number;
  type: 'numeric' | 'categorical' | 'empty';
  min?: number;
  max?: number;
  mean?: number;
  median?: number;
  /** Sample standard deviation (n − 1); 0 for a single value. */
  stddev?: number;
  distinct?: number;
  /** The most frequent values, most frequent first (ties by value). */
  top?: { value: string; count: number }[];
}

const missingValues = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', '-']);

/** True for cells that mean "no value". */
export const isMissing = (value: unknown): boolean =>
  value === null ||
  value === undefined ||
  (typeof value === 'string' && missingValues.has(value.trim().toLowerCase()));

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value
    .trim()
    .replace(/^\$/, '')
    .replace(/(?<=\d),(?=\d{3}\b)/g, '');
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?%?$/i.test(text)) return undefined;
  const parsed = Number(text.replace(/%$/, ''));
  return Number.isFinite(parsed) ? parsed : undefined;
}

const round = (value: number): number => Number(value.toPrecision(10));

/** Count, missing, numeric min/max/mean/median/stddev or top categories of a column's values. */
export function columnStats(column: string, values: readonly unknown[], topCount = 5): ColumnStats {
  const present = values.filter((value) => !isMissing(value));
  const base = { column, count: present.length, missing: values.length - present.length };
  if (present.length === 0) return { ...base, type: 'empty' };
  const numbers = present.map(asNumber);
  if (numbers.every((value) => value !== undefined)) {
    const sorted = (numbers as number[]).slice().sort((a, b) => a - b);
    const n = sorted.length;
    const mean = sorted.reduce((sum, value) => sum + value, 0) / n;
    const middle = Math.floor(n / 2);
    const median =
      n % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
    const variance = n > 1 ? sorted.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (n - 1) : 0;
    return {
      ...base,
      type: 'numeric',
      min: sorted[0] ?? 0,
      max: sorted[n - 1] ?? 0,
      mean: round(mean),
      median: round(median),
      stddev: round(Math.sqrt(variance)),
    };
  }
  const counts = new Map<string, number>();
  for (const value of present) {
    const key = typeof value === 'string' ? value.trim() : JSON.stringify(value);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const top = [...counts.entries()]
    .sort(([a, countA], [b, countB]) => countB - countA || (a < b ? -1 : 1))
    .slice(0, topCount)
    .map(([value, count]) => ({ value, count }));
  return { ...base, type: 'categorical', distinct: counts.size, top };
}
