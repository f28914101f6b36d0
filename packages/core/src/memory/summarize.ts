import type { TranscriptEntry } from '../brains/brain.ts';

const short = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

/** Numbers and short strings of a value, as `key=value`, up to `limit` of them (depth ≤ 2). */
export function keyFacts(value: unknown, limit = 6): string[] {
  const found: string[] = [];
  const visit = (item: unknown, key: string, depth: number): void => {
    if (found.length >= limit) return;
    if (typeof item === 'number' && Number.isFinite(item)) found.push(`${key}=${Number(item.toFixed(3))}`);
    else if (typeof item === 'boolean') found.push(`${key}=${item}`);
    else if (typeof item === 'string' && item.length <= 60 && key !== '') found.push(`${key}=${item}`);
    else if (typeof item === 'string' && key === '') found.push(short(item, 80));
    else if (depth < 2 && Array.isArray(item)) found.push(`${key || 'items'}=${item.length} items`);
    else if (depth < 2 && item !== null && typeof item === 'object') {
      for (const [child, childValue] of Object.entries(item))
        visit(childValue, key ? `${key}.${child}` : child, depth + 1);
    }
  };
  visit(value, '', 0);
  return found;
}

function describe(entry: TranscriptEntry): string {
  switch (entry.kind) {
    case 'summary':
      return `earlier: ${entry.text}`;
    case 'note':
      return `step ${entry.step} note: ${short(entry.text, 100)}`;
    case 'assistant': {
      const calls = entry.calls.map((call) => call.tool).join(', ');
      const text = entry.text.trim() ? ` "${short(entry.text.trim(), 80)}"` : '';
      return `step ${entry.step}:${text}${calls ? ` called ${calls}` : ''}`;
    }
    case 'tool-result':
      return entry.ok
        ? `step ${entry.step} ${entry.tool} ok${keyFacts(entry.result).length ? ` (${keyFacts(entry.result).join(', ')})` : ''}`
        : `step ${entry.step} ${entry.tool} failed: ${entry.error?.code ?? 'error'} ${short(entry.error?.message ?? '', 80)}`;
  }
}

/**
 * An extractive summary of transcript entries: one line per entry keeping tool names, outcomes,
 * error codes and key numbers, cut to `maxChars`.
 */
export function extractiveSummary(entries: readonly TranscriptEntry[], maxChars = 2000): string {
  const lines = entries.map(describe);
  const text = lines.join('\n');
  return short(text, Math.max(16, maxChars));
}
