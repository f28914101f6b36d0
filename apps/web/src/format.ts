/** Formatting of numbers, times and money for people. */

/** "3 s ago", "5 min ago", "2 h ago", "4 d ago". */
export function age(at: number, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} d ago`;
}

/** A date and time in the browser's zone. */
export const dateTime = (at: number): string => new Date(at).toLocaleString();

/** US dollars with enough digits for model costs. */
export const usd = (value: number): string =>
  value === 0 ? '$0' : value < 0.01 ? `$${value.toFixed(4)}` : `$${value.toFixed(2)}`;

/** A duration in ms, s or min. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** A score with three decimals, or "–". */
export const score = (value: number | null | undefined): string =>
  value === null || value === undefined ? '–' : value.toFixed(3);
