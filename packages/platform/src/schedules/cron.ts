/**
 * Cron slots: the instants a cron expression names in a time zone, on cron-parser (which reads the
 * zone's rules through Luxon). A *slot* is such an instant in epoch milliseconds. Every schedule walks
 * its slots forward with {@link nextSlot}, so across a DST change each slot is the one cron-parser
 * names: on the spring-forward day a time that does not exist (02:30 in Europe/Paris) fires at the
 * same wall-clock offset after the jump (03:30), once; on the fall-back day a time that happens twice
 * fires at its first occurrence only, while an interval such as `*\/30` fires every real half hour.
 */
import { userError } from '@autonoma/core';
import { CronExpressionParser, type CronExpression } from 'cron-parser';

/** What names a schedule's slots. */
export interface CronSpec {
  cron: string;
  /** An IANA time zone name. */
  timeZone: string;
  /** Seeds the `H` (hashed) fields, so every process computes the same slots: the schedule's id. */
  seed?: string;
}

/** Field names in order, for messages; a six-field expression starts with seconds. */
const fiveFields = ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'] as const;
const sixFields = ['second', ...fiveFields] as const;

/** A forward walk that has not reached `now` after this many slots gives up until the next poll. */
const maxWalk = 10_000;

const parse = (spec: CronSpec, from: number): CronExpression =>
  CronExpressionParser.parse(spec.cron, {
    // A Date, not a number: cron-parser reads a falsy `currentDate` (epoch 0) as "now".
    currentDate: new Date(from),
    tz: spec.timeZone,
    ...(spec.seed === undefined ? {} : { hashSeed: spec.seed }),
  });

/** cron-parser's reason, without its category prefix ("Constraint error, got value 61…"). */
const reasonOf = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error))
    .replace(/^(constraint|validation) error,\s*/i, '')
    .replace(/\.$/, '');

/**
 * The time zone, checked: an IANA name the runtime knows (`UTC`, `Europe/Paris`, `America/New_York`).
 * Throws a one-line `invalid_input` naming it otherwise. Offsets (`+02:00`) are refused: an IANA zone
 * carries its DST rules, an offset silently does not.
 */
export function checkTimeZone(timeZone: string): string {
  const zone = timeZone.trim();
  if (/^[+-]\d/.test(zone))
    throw userError(
      'invalid_input',
      `invalid time zone '${timeZone}': an offset is not a time zone; use an IANA name such as Europe/Paris or Etc/GMT-2`,
      { field: 'timeZone' },
    );
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw userError(
      'invalid_input',
      `invalid time zone '${timeZone}': not an IANA time zone name (such as UTC, Europe/Paris or America/New_York)`,
      { field: 'timeZone' },
    );
  }
  return zone;
}

/**
 * Checks a cron expression: five fields (minute hour day-of-month month day-of-week), six with
 * seconds first, or a cron-parser alias (`@daily`, `@hourly`…). Throws a one-line `invalid_input`
 * naming the expression, the field at fault when one is, and why. Returns the expression trimmed.
 */
export function checkCron(cron: string): string {
  const expression = cron.trim().replace(/\s+/g, ' ');
  const invalid = (why: string) =>
    userError('invalid_input', `invalid cron expression '${cron}': ${why}`, { field: 'cron' });
  if (expression.startsWith('@')) {
    try {
      parse({ cron: expression, timeZone: 'UTC' }, 0);
    } catch (error) {
      throw invalid(reasonOf(error));
    }
    return expression;
  }
  const fields = expression === '' ? [] : expression.split(' ');
  if (fields.length !== 5 && fields.length !== 6)
    throw invalid(
      `expected 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first; got ${fields.length}`,
    );
  const names = fields.length === 5 ? fiveFields : sixFields;
  // One field at a time, the others `*`: the first that fails alone is the one to name.
  fields.forEach((field, index) => {
    const alone = fields.map((other, position) => (position === index ? other : '*')).join(' ');
    try {
      parse({ cron: alone, timeZone: 'UTC' }, 0);
    } catch (error) {
      throw invalid(`${names[index] ?? 'field'} field '${field}': ${reasonOf(error)}`);
    }
  });
  try {
    // Fields valid alone may still name no instant together (`0 0 30 2 *`).
    parse({ cron: expression, timeZone: 'UTC' }, 0).next();
  } catch (error) {
    throw invalid(reasonOf(error));
  }
  return expression;
}

/** The first slot strictly after `after`, or null when the expression names none. */
export function nextSlot(spec: CronSpec, after: number): number | null {
  try {
    return parse(spec, after).next().getTime();
  } catch {
    return null;
  }
}

/**
 * The most recent slot at or before `now`, no earlier than `floor` (a slot already due, ≤ now): the
 * one slot a schedule fires after missing several. cron-parser's backward walk is only a starting
 * point — around a DST change it can skip a slot the forward walk names — so the answer is then walked
 * forward with {@link nextSlot} semantics while the next slot is still due.
 */
export function latestSlot(spec: CronSpec, now: number, floor: number): number {
  let slot = floor;
  try {
    const back = parse(spec, now + 1)
      .prev()
      .getTime();
    if (back > slot && back <= now) slot = back;
  } catch {
    // No earlier instant: the floor stands.
  }
  const forward = parse(spec, slot);
  for (let step = 0; step < maxWalk; step += 1) {
    let next: number;
    try {
      next = forward.next().getTime();
    } catch {
      break;
    }
    if (next > now) break;
    slot = next;
  }
  return slot;
}
