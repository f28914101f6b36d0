/** The ScheduleStore contract: every adapter (in memory, PGlite, PostgreSQL) passes the same suite. */
import type { NewSchedule, ScheduleStore } from '@autonoma/core';
import { describe, expect, it } from 'vitest';
import { uniqueId } from '../store/fixtures.ts';

/** What the contract needs from one implementation. */
export interface ScheduleStoreHarness {
  /** The store under test; called inside each test (the suite may share one database). */
  store(): ScheduleStore;
  /** Makes `orgId` a known organization (the SQL stores reference it by foreign key). */
  ensureOrg(orgId: string): Promise<void>;
}

/**
 * Slots far from every other test's (each test's schedules get their own range, so a `due` query
 * over a shared database sees only its own): `base(n)` is the start of test n's range.
 */
let ranges = 0;
const nextRange = (): number => {
  ranges += 1;
  return 4_000_000_000_000 + ranges * 1_000_000_000 + Math.floor(Math.random() * 1_000) * 1_000_000_000_000;
};

/** Registers the ScheduleStore contract under `ScheduleStore [name]`. */
export function describeScheduleStoreContract(name: string, harness: ScheduleStoreHarness): void {
  const newSchedule = async (overrides: Partial<NewSchedule> = {}): Promise<NewSchedule> => {
    const orgId = overrides.orgId ?? uniqueId('org');
    await harness.ensureOrg(orgId);
    return {
      id: uniqueId('sch'),
      orgId,
      agentId: 'agt_1',
      goal: { text: 'write the report', spec: { facts: ['report-written'], inputs: { pages: 2 } } },
      cron: '*/5 * * * *',
      timeZone: 'Europe/Paris',
      priority: 'high',
      nextFireAt: 300_000,
      now: 1_000,
      ...overrides,
    };
  };

  describe(`ScheduleStore [${name}]`, () => {
    it('creates, reads back every field, and lists an organization’s schedules oldest first', async () => {
      const store = harness.store();
      const input = await newSchedule();
      const { now, ...fields } = input;
      const created = await store.create(input);
      expect(created).toEqual({
        ...fields,
        paused: false,
        createdAt: now,
        updatedAt: now,
        lastFiredSlot: null,
        lastError: null,
      });
      expect(await store.get(input.orgId, input.id)).toEqual(created);
      const later = await store.create(
        await newSchedule({ orgId: input.orgId, now: 2_000, nextFireAt: null }),
      );
      expect(later.nextFireAt).toBeNull();
      expect((await store.list(input.orgId)).map((schedule) => schedule.id)).toEqual([input.id, later.id]);
    });

    it('keeps organizations apart: another org’s schedule is absent and untouchable', async () => {
      const store = harness.store();
      const mine = await store.create(await newSchedule());
      const stranger = uniqueId('org');
      await harness.ensureOrg(stranger);
      expect(await store.get(stranger, mine.id)).toBeUndefined();
      expect(await store.list(stranger)).toEqual([]);
      expect(
        await store.setPaused(stranger, mine.id, { paused: true, nextFireAt: null, now: 5 }),
      ).toBeUndefined();
      expect(
        await store.advance(stranger, mine.id, {
          expectedNextFireAt: 300_000,
          slot: 300_000,
          nextFireAt: 600_000,
          error: null,
          now: 5,
        }),
      ).toBe(false);
      expect(await store.delete(stranger, mine.id)).toBe(false);
      expect(await store.get(mine.orgId, mine.id)).toEqual(mine);
    });

    it('pauses (keeping the slot) and resumes (with the slot given); repeating either changes nothing', async () => {
      const store = harness.store();
      const schedule = await store.create(await newSchedule());
      const paused = await store.setPaused(schedule.orgId, schedule.id, {
        paused: true,
        nextFireAt: 1,
        now: 2_000,
      });
      expect(paused).toMatchObject({ paused: true, nextFireAt: 300_000, updatedAt: 2_000 });
      expect(
        await store.setPaused(schedule.orgId, schedule.id, { paused: true, nextFireAt: 1, now: 3_000 }),
      ).toEqual(paused);
      const resumed = await store.setPaused(schedule.orgId, schedule.id, {
        paused: false,
        nextFireAt: 900_000,
        now: 4_000,
      });
      expect(resumed).toMatchObject({ paused: false, nextFireAt: 900_000, updatedAt: 4_000 });
      // Resuming a running schedule keeps its slot.
      expect(
        await store.setPaused(schedule.orgId, schedule.id, { paused: false, nextFireAt: 1, now: 5_000 }),
      ).toEqual(resumed);
      expect(
        await store.setPaused(schedule.orgId, uniqueId('sch'), { paused: true, nextFireAt: null, now: 1 }),
      ).toBe(undefined);
    });

    it('lists due schedules of every organization, earliest first, never paused or future ones', async () => {
      const store = harness.store();
      const base = nextRange();
      const early = await store.create(await newSchedule({ nextFireAt: base + 1_000 }));
      const late = await store.create(await newSchedule({ nextFireAt: base + 2_000 }));
      const future = await store.create(await newSchedule({ nextFireAt: base + 9_000 }));
      const paused = await store.create(await newSchedule({ nextFireAt: base + 500 }));
      await store.setPaused(paused.orgId, paused.id, { paused: true, nextFireAt: null, now: 1 });
      const inRange = (ids: string[]) =>
        ids.filter((id) => [early.id, late.id, future.id, paused.id].includes(id));
      expect(inRange((await store.due(base + 2_000, 1_000)).map((schedule) => schedule.id))).toEqual([
        early.id,
        late.id,
      ]);
      expect(inRange((await store.due(base + 999, 1_000)).map((schedule) => schedule.id))).toEqual([]);
      expect((await store.due(base + 2_000, 1)).length).toBe(1);
      const earliest = await store.nextDueAt();
      expect(earliest).not.toBeNull();
      expect(earliest ?? Infinity).toBeLessThanOrEqual(base + 1_000);
    });

    it('tells the earliest unpaused slot', async () => {
      const store = harness.store();
      const schedule = await store.create(await newSchedule({ nextFireAt: 1 }));
      expect(await store.nextDueAt()).toBe(1);
      await store.setPaused(schedule.orgId, schedule.id, { paused: true, nextFireAt: null, now: 2 });
      expect(await store.nextDueAt()).not.toBe(1);
      await store.delete(schedule.orgId, schedule.id);
    });

    it('advances by compare-and-set: of two firings of one slot, exactly one moves the schedule', async () => {
      const store = harness.store();
      const schedule = await store.create(await newSchedule());
      const advance = (next: number, error: string | null = null) =>
        store.advance(schedule.orgId, schedule.id, {
          expectedNextFireAt: 300_000,
          slot: 300_000,
          nextFireAt: next,
          error,
          now: 301_000,
        });
      const results = await Promise.all([advance(600_000), advance(600_000, 'late')]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const moved = await store.get(schedule.orgId, schedule.id);
      expect(moved).toMatchObject({ nextFireAt: 600_000, lastFiredSlot: 300_000, updatedAt: 301_000 });
      // A firing that read the old slot changes nothing afterwards.
      expect(await advance(600_000)).toBe(false);
      expect(await store.get(schedule.orgId, schedule.id)).toEqual(moved);
    });

    it('never moves a schedule back to a slot it already fired, and records why a slot ran nothing', async () => {
      const store = harness.store();
      const schedule = await store.create(await newSchedule());
      const fire = (expected: number, slot: number, next: number | null, error: string | null) =>
        store.advance(schedule.orgId, schedule.id, {
          expectedNextFireAt: expected,
          slot,
          nextFireAt: next,
          error,
          now: slot + 1,
        });
      expect(await fire(300_000, 900_000, 1_200_000, "agent 'gone' not found")).toBe(true);
      expect(await store.get(schedule.orgId, schedule.id)).toMatchObject({
        lastFiredSlot: 900_000,
        lastError: "agent 'gone' not found",
      });
      // Expected slot matches but the slot is not later than the last fired one.
      expect(await fire(1_200_000, 900_000, 1_500_000, null)).toBe(false);
      expect(await fire(1_200_000, 1_200_000, null, null)).toBe(true);
      expect(await store.get(schedule.orgId, schedule.id)).toMatchObject({
        nextFireAt: null,
        lastFiredSlot: 1_200_000,
        lastError: null,
      });
    });

    it('deletes within the organization only once', async () => {
      const store = harness.store();
      const schedule = await store.create(await newSchedule());
      expect(await store.delete(schedule.orgId, schedule.id)).toBe(true);
      expect(await store.delete(schedule.orgId, schedule.id)).toBe(false);
      expect(await store.get(schedule.orgId, schedule.id)).toBeUndefined();
    });
  });
}
