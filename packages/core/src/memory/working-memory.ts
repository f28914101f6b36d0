import type { TranscriptEntry } from '../brains/brain.ts';
import { extractiveSummary } from './summarize.ts';

/** Rough token count of a text: about four characters per token. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

/** Rough token count of a transcript entry, as serialized for a model. */
export const entryTokens = (entry: TranscriptEntry): number => estimateTokens(JSON.stringify(entry));

/** Rough token count of a transcript. */
export const transcriptTokens = (entries: readonly TranscriptEntry[]): number =>
  entries.reduce((sum, entry) => sum + entryTokens(entry), 0);

/** How far a transcript may grow before its oldest part is summarized. */
export interface WorkingMemoryBounds {
  /** Token budget of the whole transcript, summary included. */
  budgetTokens: number;
  /** Newest entries always kept verbatim, whatever their size. @default 4 */
  keepRecent?: number;
  /** Room reserved for the summary entry. @default max(64, budgetTokens / 4) */
  summaryTokens?: number;
}

/** Where a transcript is cut: the older part to summarize and the recent part kept verbatim. */
export interface TranscriptSplit {
  older: TranscriptEntry[];
  recent: TranscriptEntry[];
  summaryTokens: number;
}

/**
 * Decides which oldest entries to fold into a summary so the transcript fits its budget; undefined
 * when it already fits. The recent part never starts with a tool result, so no provider sees a
 * result whose call was summarized away.
 */
export function splitForSummary(
  entries: readonly TranscriptEntry[],
  bounds: WorkingMemoryBounds,
): TranscriptSplit | undefined {
  if (transcriptTokens(entries) <= bounds.budgetTokens) return undefined;
  const keepRecent = bounds.keepRecent ?? 4;
  const summaryTokens = bounds.summaryTokens ?? Math.max(64, Math.floor(bounds.budgetTokens / 4));
  let cut = entries.length;
  let used = summaryTokens;
  while (cut > 0) {
    const candidate = entries[cut - 1];
    if (!candidate) break;
    const kept = entries.length - cut;
    if (kept >= keepRecent && used + entryTokens(candidate) > bounds.budgetTokens) break;
    used += entryTokens(candidate);
    cut--;
  }
  while (cut < entries.length && entries[cut]?.kind === 'tool-result') cut++;
  if (cut === 0) return undefined;
  return { older: entries.slice(0, cut), recent: entries.slice(cut), summaryTokens };
}

function summaryEntry(older: readonly TranscriptEntry[], text: string): TranscriptEntry {
  let coversSteps = 0;
  for (const entry of older)
    coversSteps = Math.max(coversSteps, entry.kind === 'summary' ? entry.coversSteps : entry.step);
  return { kind: 'summary', text, coversSteps };
}

/**
 * Bounds a transcript: when it exceeds the budget, the oldest entries (an earlier summary
 * included) are replaced by one `summary` entry. The summary is extractive by default (tool names,
 * outcomes, key numbers); pass `summarize` to plug in another one.
 */
export function boundTranscript(
  entries: readonly TranscriptEntry[],
  bounds: WorkingMemoryBounds,
  summarize: (older: readonly TranscriptEntry[], maxChars: number) => string = extractiveSummary,
): TranscriptEntry[] {
  const split = splitForSummary(entries, bounds);
  if (!split) return [...entries];
  return [summaryEntry(split.older, summarize(split.older, split.summaryTokens * 4)), ...split.recent];
}

/** {@link boundTranscript} with an asynchronous summarizer, e.g. a model call made by the platform. */
export async function boundTranscriptAsync(
  entries: readonly TranscriptEntry[],
  bounds: WorkingMemoryBounds,
  summarize: (older: readonly TranscriptEntry[], maxChars: number) => Promise<string>,
): Promise<TranscriptEntry[]> {
  const split = splitForSummary(entries, bounds);
  if (!split) return [...entries];
  const text = await summarize(split.older, split.summaryTokens * 4);
  return [summaryEntry(split.older, text.slice(0, split.summaryTokens * 4)), ...split.recent];
}
