/**
 * ScheduleService on the in-memory stores with a fixed clock: validation, one run per slot with its
 * idempotency key and job, the missed-firings policy, pause and resume, failures, tenancy.
 */
import type { NewRun, RunStore, Scope } from '@autonoma/core';
import { AgentSpec, defaultAgentName, dependencyError, isAutonomaError } from '@autonoma/core';
import { FixedClock, SequentialIds, createInMemoryStores, type InMemoryStores } from '@autonoma/core/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ScheduleService } from '../../src/services/schedule-service.ts';
import { servicesOver } from './harness.ts';

const scope: Scope = { orgId: 'org_a', actor: 'user:ada' };
const minute = 60_000;
/** 2026-01-01 10:02:30 UTC: between two five-minute slots. */
const start = Date.UTC(2026, 0, 1, 10, 2, 30);
const slotAt = (hours: number, minutes: number): number => Date.UTC(2026, 0, 1, hours, minutes);

/** A run store that records what it was asked to create, and can fail its next creates. */
function recordingRuns(inner: RunStore): {
  store: RunStore;
  creates: NewRun[];
  failNext(count: number): void;
} {
  const creates: NewRun[] = [];
  let failures = 0;
  const store = new Proxy(inner, {
    get(target, property) {
      if (property === 'create')
        return async (run: NewRun) => {
          if (failures > 0) {
            failures -= 1;
            throw dependencyError('the store did not answer');
          }
          creates.push(run);
          return target.create(run);
        };
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store, creates, failNext: (count) => (failures = count) };
}

/** The message of the user error `promise` rejects with. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (isAutonomaError(error) && error.category === 'user') return error.message;
  throw new Error(`expected a user error, got ${String(error)}`);
}

describe('ScheduleService', () => {
  let stores: InMemoryStores;
  let clock: FixedClock;
  let recorder: ReturnType<typeof recordingRuns>;
  let schedules: ScheduleService;

  beforeEach(async () => {
    stores = createInMemoryStores();
    clock = new FixedClock(start);
    recorder = recordingRuns(stores.runs);
    for (const orgId of [scope.orgId, 'org_b'])
      for (const name of [defaultAgentName, 'writer'])
        await stores.agents.upsert(orgId, AgentSpec.parse({ name }), { id: `agt_${orgId}_${name}`, now: 0 });
    ({ schedules } = servicesOver({ ...stores, runs: recorder.store }, { clock, ids: new SequentialIds() }));
  });

  const runsOf = (orgId = scope.orgId) => stores.runs.list({ orgId, limit: 1_000 });

  describe('create', () => {
    it('stores a schedule with its first slot after now, the default agent, UTC and normal priority', async () => {
      const schedule = await schedules.create(scope, { goal: 'write the report', cron: '*/5 * * * *' });
      expect(schedule).toMatchObject({
        orgId: scope.orgId,
        agentId: `agt_${scope.orgId}_${defaultAgentName}`,
        goal: { text: 'write the report' },
        cron: '*/5 * * * *',
        timeZone: 'UTC',
        priority: 'normal',
        paused: false,
        nextFireAt: slotAt(10, 5),
        lastFiredSlot: null,
        lastError: null,
      });
      expect(await schedules.list(scope)).toEqual([schedule]);
      expect(await schedules.get(scope, schedule.id)).toEqual(schedule);
      const audit = await stores.audit.list({ orgId: scope.orgId });
      expect(audit.map((entry) => [entry.action, entry.actor, entry.target])).toEqual([
        ['schedule.create', 'user:ada', schedule.id],
      ]);
    });

    it('names the agent, the zone and the priority given, and reads the cron in that zone', async () => {
      const schedule = await schedules.create(scope, {
        goal: 'morning digest',
        spec: { facts: ['digest-sent'], inputs: {} },
        cron: '0 9 * * *',
        timeZone: 'Europe/Paris',
        agent: 'writer',
        priority: 'high',
      });
      expect(schedule).toMatchObject({
        agentId: `agt_${scope.orgId}_writer`,
        timeZone: 'Europe/Paris',
        priority: 'high',
        goal: { text: 'morning digest', spec: { facts: ['digest-sent'] } },
        nextFireAt: Date.UTC(2026, 0, 2, 8, 0),
      });
    });

    it.each([
      [
        { cron: '61 * * * *' },
        "invalid cron expression '61 * * * *': minute field '61': got value 61 expected range 0-59",
      ],
      [{ cron: 'every day' }, "invalid cron expression 'every day': expected 5 fields"],
      [{ timeZone: 'Mars/Olympus' }, "invalid time zone 'Mars/Olympus': not an IANA time zone name"],
      [{ priority: 'urgent' }, "invalid priority 'urgent': one of critical, high, normal, low"],
      [{ goal: '   ' }, 'invalid goal: text: the goal is empty'],
      [{ agent: 'ghost' }, "agent 'ghost' not found"],
    ])('refuses %j in one line, storing nothing', async (override, message) => {
      const text = await refusal(
        schedules.create(scope, { goal: 'write the report', cron: '*/5 * * * *', ...override }),
      );
      expect(text.startsWith(message)).toBe(true);
      expect(text.split('\n')).toHaveLength(1);
      expect(await schedules.list(scope)).toEqual([]);
    });

    it('wakes whoever listens when a schedule is created or resumed', async () => {
      let calls = 0;
      const stop = schedules.onChange(() => (calls += 1));
      const schedule = await schedules.create(scope, { goal: 'g', cron: '*/5 * * * *' });
      await schedules.pause(scope, schedule.id);
      await schedules.resume(scope, schedule.id);
      stop();
      await schedules.create(scope, { goal: 'g', cron: '*/5 * * * *' });
      expect(calls).toBe(2);
    });
  });

  describe('fireDue', () => {
    it('starts one run per slot, keyed by schedule and slot, with its job, then waits for the next slot', async () => {
      const schedule = await schedules.create(scope, {
        goal: 'write the report',
        cron: '*/5 * * * *',
        priority: 'high',
      });
      expect(await schedules.fireDue()).toEqual({ firings: [], nextDueAt: slotAt(10, 5), more: false });

      clock.advance(2 * minute + 30_000 + 1_000); // 10:05:01
      const pass = await schedules.fireDue();
      const run = (await runsOf())[0];
      expect(pass).toEqual({
        firings: [
          {
            scheduleId: schedule.id,
            orgId: scope.orgId,
            slot: slotAt(10, 5),
            runId: run?.id,
            advanced: true,
          },
        ],
        nextDueAt: slotAt(10, 10),
        more: false,
      });
      expect(recorder.creates).toHaveLength(1);
      expect(recorder.creates[0]).toMatchObject({
        orgId: scope.orgId,
        agentId: schedule.agentId,
        goal: { text: 'write the report' },
        priority: 'high',
        idempotencyKey: `schedule:${schedule.id}:${slotAt(10, 5)}`,
      });
      expect(run).toMatchObject({ status: 'queued', priority: 'high', agentId: schedule.agentId });
      expect(stores.runs.outbox().map((job) => job.runId)).toEqual([run?.id]);
      expect(await schedules.get(scope, schedule.id)).toMatchObject({
        nextFireAt: slotAt(10, 10),
        lastFiredSlot: slotAt(10, 5),
        lastError: null,
      });

      // Another pass in the same slot does nothing.
      expect((await schedules.fireDue()).firings).toEqual([]);
      clock.advance(5 * minute); // 10:10:01
      expect((await schedules.fireDue()).firings.map((firing) => firing.slot)).toEqual([slotAt(10, 10)]);
      expect(await runsOf()).toHaveLength(2);
    });

    it('fires once, for the most recent slot, after everything was down across many slots', async () => {
      const schedule = await schedules.create(scope, { goal: 'g', cron: '*/5 * * * *' });
      clock.advance(3 * 60 * minute); // 13:02:30: 36 slots passed since 10:05
      const pass = await schedules.fireDue();
      expect(pass.firings.map((firing) => firing.slot)).toEqual([slotAt(13, 0)]);
      expect(pass.nextDueAt).toBe(slotAt(13, 5));
      expect(await runsOf()).toHaveLength(1);
      expect(recorder.creates.map((run) => run.idempotencyKey)).toEqual([
        `schedule:${schedule.id}:${slotAt(13, 0)}`,
      ]);
      expect(await schedules.get(scope, schedule.id)).toMatchObject({
        lastFiredSlot: slotAt(13, 0),
        nextFireAt: slotAt(13, 5),
      });
      // Then it carries on at the next future slot.
      expect((await schedules.fireDue()).firings).toEqual([]);
      clock.advance(5 * minute);
      expect((await schedules.fireDue()).firings.map((firing) => firing.slot)).toEqual([slotAt(13, 5)]);
    });

    it('fires nothing while paused and resumes at the next slot after now, catching nothing up', async () => {
      const schedule = await schedules.create(scope, { goal: 'g', cron: '*/5 * * * *' });
      const paused = await schedules.pause(scope, schedule.id);
      expect(paused.paused).toBe(true);
      clock.advance(60 * minute); // 11:02:30
      expect((await schedules.fireDue()).firings).toEqual([]);
      const resumed = await schedules.resume(scope, schedule.id);
      expect(resumed).toMatchObject({ paused: false, nextFireAt: slotAt(11, 5) });
      expect((await schedules.fireDue()).firings).toEqual([]);
      clock.advance(3 * minute);
      expect((await schedules.fireDue()).firings.map((firing) => firing.slot)).toEqual([slotAt(11, 5)]);
      expect(await runsOf()).toHaveLength(1);
      expect((await stores.audit.list({ orgId: scope.orgId })).map((entry) => entry.action)).toEqual([
        'schedule.create',
        'schedule.pause',
        'schedule.resume',
      ]);
    });

    it('gives a slot up, saying why, when its agent was deleted, and tries again at the next slot', async () => {
      const schedule = await schedules.create(scope, { goal: 'g', cron: '*/5 * * * *', agent: 'writer' });
      await stores.agents.delete(scope.orgId, 'writer');
      clock.advance(3 * minute);
      const [firing] = (await schedules.fireDue()).firings;
      expect(firing).toMatchObject({ slot: slotAt(10, 5), advanced: true });
      expect(firing?.error).toBe(`agent '${schedule.agentId}' not found`);
      expect(firing?.runId).toBeUndefined();
      expect(await schedules.get(scope, schedule.id)).toMatchObject({
        lastFiredSlot: slotAt(10, 5),
        nextFireAt: slotAt(10, 10),
        lastError: `agent '${schedule.agentId}' not found`,
      });
      expect(await runsOf()).toEqual([]);
      await stores.agents.upsert(scope.orgId, AgentSpec.parse({ name: 'writer' }), {
        id: schedule.agentId,
        now: 1,
      });
      clock.advance(5 * minute);
      expect((await schedules.fireDue()).firings[0]?.runId).toBeDefined();
      expect((await schedules.get(scope, schedule.id)).lastError).toBeNull();
    });

    it('retries a slot whose run could not be stored, under the same key, without moving on', async () => {
      const schedule = await schedules.create(scope, { goal: 'g', cron: '*/5 * * * *' });
      clock.advance(3 * minute);
      recorder.failNext(1);
      const [failed] = (await schedules.fireDue()).firings;
      expect(failed).toMatchObject({
        slot: slotAt(10, 5),
        advanced: false,
        error: 'the store did not answer',
      });
      expect((await schedules.get(scope, schedule.id)).nextFireAt).toBe(slotAt(10, 5));
      const [retried] = (await schedules.fireDue()).firings;
      expect(retried).toMatchObject({ slot: slotAt(10, 5), advanced: true });
      expect(recorder.creates.map((run) => run.idempotencyKey)).toEqual([
        `schedule:${schedule.id}:${slotAt(10, 5)}`,
      ]);
    });

    it('two instances racing on one store start one run per slot, and exactly one moves each slot on', async () => {
      const other = servicesOver({ ...stores, runs: recorder.store }, { clock }).schedules;
      await schedules.create(scope, { goal: 'g', cron: '*/5 * * * *' });
      let advanced = 0;
      for (let slot = 0; slot < 6; slot += 1) {
        clock.advance(5 * minute);
        const passes = await Promise.all([schedules.fireDue(), other.fireDue()]);
        const firings = passes.flatMap((pass) => pass.firings);
        advanced += firings.filter((firing) => firing.advanced).length;
        expect(new Set(firings.map((firing) => firing.runId)).size).toBe(1);
      }
      expect(advanced).toBe(6);
      expect(await runsOf()).toHaveLength(6);
    });

    it('starts each run in its schedule’s organization, acting as the schedule', async () => {
      const theirs = await schedules.create(
        { orgId: 'org_b', actor: 'user:bob' },
        { goal: 'g', cron: '*/5 * * * *' },
      );
      clock.advance(3 * minute);
      const [firing] = (await schedules.fireDue()).firings;
      expect(firing?.orgId).toBe('org_b');
      expect(await runsOf()).toEqual([]);
      expect((await runsOf('org_b')).map((run) => run.id)).toEqual([firing?.runId]);
      expect(theirs.orgId).toBe('org_b');
    });
  });

  it('keeps organizations apart: another org’s schedule is not found', async () => {
    const schedule = await schedules.create(scope, { goal: 'g', cron: '*/5 * * * *' });
    const stranger: Scope = { orgId: 'org_b', actor: 'user:bob' };
    expect(await schedules.list(stranger)).toEqual([]);
    for (const attempt of [
      schedules.get(stranger, schedule.id),
      schedules.pause(stranger, schedule.id),
      schedules.resume(stranger, schedule.id),
      schedules.delete(stranger, schedule.id),
    ])
      expect(await refusal(attempt)).toBe(`schedule '${schedule.id}' not found`);
    expect(await schedules.get(scope, schedule.id)).toEqual(schedule);
    await schedules.delete(scope, schedule.id);
    expect(await refusal(schedules.delete(scope, schedule.id))).toBe(`schedule '${schedule.id}' not found`);
  });
});
