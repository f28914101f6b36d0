/**
 * The built-in pretty formatter: turns the logger's JSON lines into `12:00:01.234 INFO  message
 * key=value …` for a person at a terminal. Used when pino-pretty is not installed (production images
 * carry no development dependencies); it receives lines already scrubbed of secrets.
 */
import type { DestinationStream } from 'pino';

const colorOf: Record<string, string> = {
  trace: '\u001b[90m',
  debug: '\u001b[36m',
  info: '\u001b[32m',
  warn: '\u001b[33m',
  error: '\u001b[31m',
  fatal: '\u001b[35m',
};
const reset = '\u001b[0m';

const clock = (time: unknown): string => {
  const date = new Date(typeof time === 'number' ? time : Date.now());
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
};

const shown = (value: unknown): string => {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
};

/** Formats one JSON log line; a line that is not JSON is passed through. */
export function formatPrettyLine(line: string, colors: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { level, time, msg, err, ...fields } = entry;
  const label = String(level ?? 'info');
  const head = label.toUpperCase().padEnd(5);
  const coloredHead = colors ? `${colorOf[label] ?? ''}${head}${reset}` : head;
  const rest = Object.entries(fields)
    .map(([key, value]) => `${key}=${shown(value)}`)
    .join(' ');
  const error = err !== null && typeof err === 'object' && 'stack' in err ? `\n    ${String(err.stack)}` : '';
  return `${clock(time)} ${coloredHead} ${String(msg ?? '')}${rest ? ` ${rest}` : ''}${error}\n`;
}

/** A destination that writes pretty lines to `destination`. */
export function prettyLines(options: { colors: boolean }) {
  return (destination: DestinationStream): DestinationStream => ({
    write: (line) => {
      // A write may carry several lines (pino writes one per call, but be safe).
      for (const part of line.split('\n'))
        if (part !== '') destination.write(formatPrettyLine(part, options.colors));
    },
  });
}
