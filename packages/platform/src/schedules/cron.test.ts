import { isAutonomaError } from '@autonoma/core';
import { describe, expect, it } from 'vitest';
import { checkCron, checkTimeZone, latestSlot, nextSlot, type CronSpec } from './cron.ts';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The first `count` slots after `from`, walking forward as a schedule does. */
function slots(spec: CronSpec, from: string, count: number): string[] {
  const found: string[] = [];
  let cursor = at(from);
  for (let index = 0; index < count; index += 1) {
    const next = nextSlot(spec, cursor);
    if (next === null) break;
    found.push(new Date(next).toISOString());
    cursor = next;
  }
  return found;
}

/** The message of the user error `check` throws. */
function refusal(check: () => unknown): string {
  try {
    check();
  } catch (error) {
    if (isAutonomaError(error) && error.category === 'user') return error.message;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('cron slots', () => {
  it('*/5 fires on every fifth minute, strictly after the given instant', () => {
    const spec = { cron: '*/5 * * * *', timeZone: 'UTC' };
    expect(slots(spec, '2026-01-01T10:02:30Z', 3)).toEqual([
      '2026-01-01T10:05:00.000Z',
      '2026-01-01T10:10:00.000Z',
      '2026-01-01T10:15:00.000Z',
    ]);
    // A slot is never its own successor.
    expect(iso(nextSlot(spec, at('2026-01-01T10:05:00Z')))).toBe('2026-01-01T10:10:00.000Z');
    // Epoch 0 is a time like any other (cron-parser reads a numeric 0 as "now").
    expect(nextSlot(spec, 0)).toBe(300_000);
  });

  it('reads the expression in its time zone', () => {
    expect(slots({ cron: '0 9 * * *', timeZone: 'Europe/Paris' }, '2026-01-10T00:00:00Z', 1)).toEqual([
      '2026-01-10T08:00:00.000Z',
    ]);
    expect(slots({ cron: '0 9 * * *', timeZone: 'America/New_York' }, '2026-01-10T00:00:00Z', 1)).toEqual([
      '2026-01-10T14:00:00.000Z',
    ]);
    // A half-hour zone: the top of each local hour is half past in UTC.
    expect(slots({ cron: '0 * * * *', timeZone: 'Asia/Kolkata' }, '2026-01-10T00:00:00Z', 1)).toEqual([
      '2026-01-10T00:30:00.000Z',
    ]);
  });

  it('keeps nine o’clock local across the Paris DST changes', () => {
    const spec = { cron: '0 9 * * *', timeZone: 'Europe/Paris' };
    // 2025-03-30: CET (UTC+1) becomes CEST (UTC+2) at 02:00 local.
    expect(slots(spec, '2025-03-28T12:00:00Z', 3)).toEqual([
      '2025-03-29T08:00:00.000Z',
      '2025-03-30T07:00:00.000Z',
      '2025-03-31T07:00:00.000Z',
    ]);
    // 2025-10-26: CEST becomes CET at 03:00 local.
    expect(slots(spec, '2025-10-24T12:00:00Z', 3)).toEqual([
      '2025-10-25T07:00:00.000Z',
      '2025-10-26T08:00:00.000Z',
      '2025-10-27T08:00:00.000Z',
    ]);
  });

  it('fires a time skipped by spring-forward once, an hour later, and a repeated time once', () => {
    const spec = { cron: '30 2 * * *', timeZone: 'Europe/Paris' };
    // 02:30 does not exist on 2025-03-30: it fires at 03:30 CEST (01:30 UTC), once.
    expect(slots(spec, '2025-03-29T12:00:00Z', 3)).toEqual([
      '2025-03-30T01:30:00.000Z',
      '2025-03-31T00:30:00.000Z',
      '2025-04-01T00:30:00.000Z',
    ]);
    // 02:30 happens twice on 2025-10-26 (CEST, then CET): it fires at the first only.
    expect(slots(spec, '2025-10-25T12:00:00Z', 2)).toEqual([
      '2025-10-26T00:30:00.000Z',
      '2025-10-27T01:30:00.000Z',
    ]);
  });

  it('fires an interval every real half hour through both Paris DST changes', () => {
    const spec = { cron: '*/30 * * * *', timeZone: 'Europe/Paris' };
    const spring = slots(spec, '2025-03-30T00:00:00Z', 4).map(at);
    const fall = slots(spec, '2025-10-25T23:45:00Z', 8).map(at);
    for (const series of [spring, fall])
      expect(series.slice(1).map((slot, index) => slot - (series[index] ?? 0))).toEqual(
        series.slice(1).map(() => 30 * 60_000),
      );
    // The fall-back day's repeated hour (02:00–03:00 local) is walked twice, as real time passes.
    expect(fall).toContain(at('2025-10-26T00:30:00Z'));
    expect(fall).toContain(at('2025-10-26T01:30:00Z'));
  });

  it('supports seconds and seeds hashed fields, so every process computes the same slots', () => {
    expect(slots({ cron: '*/10 * * * * *', timeZone: 'UTC' }, '2026-01-01T00:00:01Z', 2)).toEqual([
      '2026-01-01T00:00:10.000Z',
      '2026-01-01T00:00:20.000Z',
    ]);
    const hashed = (seed: string) =>
      slots({ cron: 'H * * * *', timeZone: 'UTC', seed }, '2026-01-01T00:00:00Z', 2);
    expect(hashed('sch_a')).toEqual(hashed('sch_a'));
    expect(new Set(['sch_a', 'sch_b', 'sch_c', 'sch_d'].map((seed) => hashed(seed)[0])).size).toBeGreaterThan(
      1,
    );
  });
});

describe('the most recent slot (missed firings)', () => {
  const everyFive = { cron: '*/5 * * * *', timeZone: 'UTC' };

  it('is the last slot at or before now, however many were missed', () => {
    const floor = at('2026-01-01T10:05:00Z');
    expect(iso(latestSlot(everyFive, at('2026-01-01T13:42:10Z'), floor))).toBe('2026-01-01T13:40:00.000Z');
    expect(iso(latestSlot(everyFive, at('2026-01-01T13:40:00Z'), floor))).toBe('2026-01-01T13:40:00.000Z');
    // Nothing missed: the due slot itself.
    expect(iso(latestSlot(everyFive, at('2026-01-01T10:06:00Z'), floor))).toBe('2026-01-01T10:05:00.000Z');
  });

  it('is found after weeks down, with a slot every second', () => {
    const everySecond = { cron: '* * * * * *', timeZone: 'UTC' };
    const floor = at('2026-01-01T00:00:01Z');
    expect(iso(latestSlot(everySecond, at('2026-02-01T00:00:00.500Z'), floor))).toBe(
      '2026-02-01T00:00:00.000Z',
    );
  });

  it('is a slot the forward walk names on DST change days', () => {
    const spec = { cron: '30 2 * * *', timeZone: 'Europe/Paris' };
    // Due at 03:30 CEST on the spring-forward day: that slot, not the day before's.
    const spring = at('2025-03-30T01:30:00Z');
    expect(iso(latestSlot(spec, spring + 5_000, spring))).toBe('2025-03-30T01:30:00.000Z');
    // Down from before the spring-forward day to after it: its one slot.
    expect(iso(latestSlot(spec, at('2025-03-30T12:00:00Z'), at('2025-03-28T01:30:00Z')))).toBe(
      '2025-03-30T01:30:00.000Z',
    );
    // The next slot after a missed-then-fired slot is in the future.
    const fired = latestSlot(spec, at('2025-10-26T12:00:00Z'), at('2025-10-24T00:30:00Z'));
    expect(fired).toBeLessThanOrEqual(at('2025-10-26T12:00:00Z'));
    expect(nextSlot(spec, fired)).toBe(at('2025-10-27T01:30:00Z'));
  });
});

describe('checking schedules', () => {
  it('names the cron field at fault, and why, in one line', () => {
    expect(refusal(() => checkCron('61 * * * *'))).toBe(
      "invalid cron expression '61 * * * *': minute field '61': got value 61 expected range 0-59",
    );
    expect(refusal(() => checkCron('0 25 * * *'))).toMatch(
      /^invalid cron expression '0 25 \* \* \*': hour field '25'/,
    );
    expect(refusal(() => checkCron('* * *'))).toBe(
      "invalid cron expression '* * *': expected 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first; got 3",
    );
    expect(refusal(() => checkCron(''))).toMatch(/got 0$/);
    expect(refusal(() => checkCron('*/0 * * * *'))).toMatch(
      /minute field '\*\/0': cannot repeat at every 0 time$/,
    );
    expect(refusal(() => checkCron('0 0 30 2 *'))).toMatch(/^invalid cron expression '0 0 30 2 \*': /);
    expect(refusal(() => checkCron('@sometimes'))).toMatch(/^invalid cron expression '@sometimes': /);
    for (const message of [
      refusal(() => checkCron('hello world')),
      refusal(() => checkCron('1 2 3 4 5 6 7')),
    ])
      expect(message.split('\n')).toHaveLength(1);
  });

  it('accepts five and six fields and aliases, normalizing spaces', () => {
    expect(checkCron(' */5  *  * * * ')).toBe('*/5 * * * *');
    expect(checkCron('*/10 * * * * *')).toBe('*/10 * * * * *');
    expect(checkCron('@daily')).toBe('@daily');
    expect(checkCron('0 9 * * MON-FRI')).toBe('0 9 * * MON-FRI');
  });

  it('accepts IANA time zones and refuses anything else, naming it', () => {
    expect(checkTimeZone('Europe/Paris')).toBe('Europe/Paris');
    expect(checkTimeZone('UTC')).toBe('UTC');
    expect(refusal(() => checkTimeZone('Mars/Olympus'))).toBe(
      "invalid time zone 'Mars/Olympus': not an IANA time zone name (such as UTC, Europe/Paris or America/New_York)",
    );
    expect(refusal(() => checkTimeZone(''))).toMatch(/^invalid time zone '': /);
    expect(refusal(() => checkTimeZone('+02:00'))).toMatch(
      /^invalid time zone '\+02:00': an offset is not a time zone/,
    );
  });
});
