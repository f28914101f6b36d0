/** Queue names and consumer settings, checked once for every interface (CLI flags, config, API). */
import type { ConsumeOptions, Priority } from '@autonoma/core';
import { jobQueues, userError } from '@autonoma/core';

/**
 * Parses a comma-separated list of queue names (`critical,high`), in {@link jobQueues} order, without
 * duplicates. Throws `invalid_input` naming an unknown queue.
 */
export function parseQueues(text: string | readonly string[], label = '--queues'): Priority[] {
  const names = (typeof text === 'string' ? text.split(',') : [...text])
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0)
    throw userError('invalid_input', `${label} names no queue; use ${jobQueues.join(',')}`);
  for (const name of names) {
    if (!(jobQueues as readonly string[]).includes(name))
      throw userError(
        'invalid_input',
        `unknown queue '${name}' in ${label}; queues are ${jobQueues.join(', ')}`,
      );
  }
  return jobQueues.filter((queue) => names.includes(queue));
}

/** Parses a concurrency (a positive integer). Throws `invalid_input` naming `label`. */
export function parseConcurrency(value: string | number, label = '--concurrency'): number {
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(number) || number <= 0 || (typeof value === 'string' && value.trim() === ''))
    throw userError('invalid_input', `${label} must be a positive integer, got '${String(value)}'`);
  return number;
}

/** Checks what a consumer is asked to serve; throws `invalid_input`. */
export function checkConsumeOptions(options: ConsumeOptions): void {
  parseQueues(options.queues, 'queues');
  parseConcurrency(options.concurrency, 'concurrency');
}
