/** The RunStore contract: every implementation (PGlite, PostgreSQL, in-memory) must pass it. */
import type { Lease } from '@autonoma/core';
import { describe, expect, it } from 'vitest';
import {
  expectCode,
  expectFenced,
  isLease,
  leased,
  newOrg,
  newRun,
  stepCommit,
  uniqueId,
  type StoreHarness,
} from './fixtures.ts';

/** Registers the RunStore contract under `RunStore [name]`. */
export function describeRunStoreContract(name: string, harness: StoreHarness): void {
  describe(`RunStore [${name}]`, () => {
    it('creates a queued run with defaults and reads it back', async () => {
      const { runs } = harness.stores();
      const input = await newRun(harness, {
        goal: { text: 'plan a trip', spec: { facts: ['booked'], inputs: { city: 'Oslo' } } },
      });
      const { run, created } = await runs.create(input);
      expect(created).toBe(true);
      expect(run).toMatchObject({
        id: input.id,
        orgId: input.orgId,
        status: 'queued',
        version: 0,
        priority: 'normal',
        lastSeq: 0,
        stepCount: 0,
        context: null,
        leaseOwner: null,
        leaseEpoch: 0,
        wakeAt: null,
        parentRunId: null,
        createdAt: 1_000,
        endedAt: null,
        finalizedAt: null,
      });
      expect(await runs.get(input.orgId, input.id)).toEqual(run);
      expect(await runs.get(input.orgId, uniqueId('missing'))).toBeUndefined();
    });

    it('returns the first run for a repeated idempotency key in the same organization', async () => {
      const { runs } = harness.stores();
      const first = await newRun(harness, { idempotencyKey: 'key-1' });
      await runs.create(first);
      const again = await runs.create({ ...first, id: uniqueId('run') });
      expect(again).toMatchObject({ created: false, run: { id: first.id } });
      const otherOrg = await runs.create({ ...first, id: uniqueId('run'), orgId: await newOrg(harness) });
      expect(otherOrg.created).toBe(true);
    });

    it('gives a repeated idempotency key the stored request hash, and lets an expired key start a new run', async () => {
      const { runs } = harness.stores();
      const first = await newRun(harness, {
        idempotencyKey: 'key-hash',
        idempotencyHash: 'hash-a',
        now: 1_000,
      });
      await runs.create(first);
      const retry = await runs.create({
        ...first,
        id: uniqueId('run'),
        idempotencyHash: 'hash-b',
        now: 2_000,
      });
      expect(retry).toMatchObject({ created: false, run: { id: first.id }, idempotencyHash: 'hash-a' });
      const withinWindow = await runs.create({
        ...first,
        id: uniqueId('run'),
        now: 2_000,
        idempotencyNotBefore: 500,
      });
      expect(withinWindow).toMatchObject({ created: false, run: { id: first.id } });
      const afterWindow = await runs.create({
        ...first,
        id: uniqueId('run'),
        idempotencyHash: 'hash-c',
        now: 90_000,
        idempotencyNotBefore: 1_001,
      });
      expect(afterWindow.created).toBe(true);
      expect(await runs.get(first.orgId, first.id)).toMatchObject({ id: first.id });
      const again = await runs.create({ ...first, id: uniqueId('run'), now: 90_001 });
      expect(again).toMatchObject({
        created: false,
        run: { id: afterWindow.run.id },
        idempotencyHash: 'hash-c',
      });
    });

    it('lists newest first with filters and a cursor, scoped to the organization', async () => {
      const { runs } = harness.stores();
      const orgId = await newOrg(harness);
      const ids: string[] = [];
      for (let index = 0; index < 5; index += 1) {
        const input = await newRun(harness, {
          orgId,
          now: 1_000 + index,
          agentId: index % 2 === 0 ? 'even' : 'odd',
        });
        ids.push(input.id);
        await runs.create(input);
      }
      await runs.create(await newRun(harness));
      const all = await runs.list({ orgId });
      expect(all.map((run) => run.id)).toEqual([...ids].reverse());
      const page = await runs.list({ orgId, limit: 2 });
      const next = await runs.list({ orgId, limit: 2, before: page.at(-1)?.id });
      expect([...page, ...next].map((run) => run.id)).toEqual([...ids].reverse().slice(0, 4));
      expect((await runs.list({ orgId, agentId: 'odd' })).map((run) => run.id)).toEqual([ids[3], ids[1]]);
      expect(await runs.list({ orgId, status: ['running'] })).toEqual([]);
    });

    it('transitions by compare-and-set, bumps the version and appends its events', async () => {
      const { runs } = harness.stores();
      const { run } = await runs.create(await newRun(harness));
      const result = await runs.transition(
        run.orgId,
        run.id,
        { status: 'queued', version: 0 },
        {
          status: 'running',
          now: 1_100,
          events: [
            {
              type: 'run-start',
              goal: 'write the report',
              agent: 'default',
              brain: 'planner',
              resumed: false,
            },
          ],
        },
      );
      expect(result?.run).toMatchObject({ status: 'running', version: 1, lastSeq: 1, updatedAt: 1_100 });
      expect(result?.events).toEqual([expect.objectContaining({ type: 'run-start', seq: 1, runId: run.id })]);
      expect(await runs.events(run.orgId, run.id)).toEqual(result?.events);
      expect(
        await runs.transition(
          run.orgId,
          run.id,
          { status: 'queued', version: 0 },
          { status: 'running', now: 1 },
        ),
      ).toBe(undefined);
      expect(
        await runs.transition(
          run.orgId,
          run.id,
          { status: 'running', version: 0 },
          { status: 'failed', now: 1 },
        ),
      ).toBe(undefined);
      expect(await runs.get(run.orgId, run.id)).toMatchObject({ status: 'running', version: 1, lastSeq: 1 });
    });

    it('lets exactly one of two racing transitions win', async () => {
      const { runs } = harness.stores();
      const { run } = await runs.create(await newRun(harness));
      const race = (status: 'running' | 'cancelled') =>
        runs.transition(
          run.orgId,
          run.id,
          { status: 'queued', version: 0 },
          { status, now: 1_100, events: [{ type: 'step-start', step: 0 }] },
        );
      const results = await Promise.all([race('running'), race('cancelled')]);
      expect(results.filter((result) => result !== undefined)).toHaveLength(1);
      const stored = await runs.get(run.orgId, run.id);
      expect(stored?.version).toBe(1);
      expect(await runs.events(run.orgId, run.id)).toHaveLength(1);
    });

    it('never changes a terminal run again', async () => {
      const { runs } = harness.stores();
      const { run } = await runs.create(await newRun(harness));
      const ended = await runs.transition(
        run.orgId,
        run.id,
        { status: 'queued', version: 0 },
        { status: 'succeeded', answer: 'done', now: 1_200 },
      );
      expect(ended?.run).toMatchObject({ status: 'succeeded', answer: 'done', endedAt: 1_200, version: 1 });
      expect(
        await runs.transition(
          run.orgId,
          run.id,
          { status: 'succeeded', version: 1 },
          { status: 'running', now: 1_300 },
        ),
      ).toBeUndefined();
      const lease = await runs.acquireLease(run.orgId, run.id, { owner: 'w', now: 1_300, ttlMs: 1_000 });
      expect(lease).toMatchObject({ refused: true, reason: 'terminal' });
      const stored = await runs.get(run.orgId, run.id);
      expect(stored).toMatchObject({ status: 'succeeded', version: 1, leaseOwner: null });
      expect(await runs.claimable({ orgId: run.orgId, now: 5_000, limit: 10 })).toEqual([]);
    });

    it('refuses a lease for a missing run and a held lease, and takes an expired one', async () => {
      const { runs } = harness.stores();
      const { run } = await runs.create(await newRun(harness));
      expect(
        await runs.acquireLease(run.orgId, uniqueId('missing'), { owner: 'a', now: 0, ttlMs: 10 }),
      ).toMatchObject({ refused: true, reason: 'not_found' });
      const first = await runs.acquireLease(run.orgId, run.id, { owner: 'a', now: 1_000, ttlMs: 1_000 });
      expect(first).toEqual({ runId: run.id, orgId: run.orgId, owner: 'a', epoch: 1, expiresAt: 2_000 });
      expect(
        await runs.acquireLease(run.orgId, run.id, { owner: 'b', now: 1_500, ttlMs: 1_000 }),
      ).toMatchObject({ refused: true, reason: 'held', run: { leaseOwner: 'a' } });
      const stolen = await runs.acquireLease(run.orgId, run.id, {
        owner: 'b',
        now: 1_500,
        ttlMs: 1_000,
        steal: (holder) => holder === 'a',
      });
      expect(stolen).toMatchObject({ owner: 'b', epoch: 2, orgId: run.orgId });
      const afterExpiry = await runs.acquireLease(run.orgId, run.id, {
        owner: 'c',
        now: 5_000,
        ttlMs: 1_000,
      });
      expect(afterExpiry).toMatchObject({ owner: 'c', epoch: 3 });
    });

    it('holds a lease through its expiry instant and frees it right after, for acquire and claim alike', async () => {
      const { runs } = harness.stores();
      const { run } = await runs.create(await newRun(harness));
      await runs.acquireLease(run.orgId, run.id, { owner: 'a', now: 1_000, ttlMs: 1_000 });
      const claimable = async (now: number) =>
        (await runs.claimable({ orgId: run.orgId, now, limit: 10 })).map((item) => item.id);
      // At `expiresAt` the lease is still held (core `leaseIsFree`: expires strictly before now).
      expect(await claimable(2_000)).toEqual([]);
      expect(
        await runs.acquireLease(run.orgId, run.id, { owner: 'b', now: 2_000, ttlMs: 1_000 }),
      ).toMatchObject({ refused: true, reason: 'held' });
      expect(await claimable(2_001)).toEqual([run.id]);
      expect(
        await runs.acquireLease(run.orgId, run.id, { owner: 'b', now: 2_001, ttlMs: 1_000 }),
      ).toMatchObject({ owner: 'b', epoch: 2 });
    });

    it('gives a contested lease to one acquirer and fences the loser', async () => {
      const { runs } = harness.stores();
      const { run } = await runs.create(await newRun(harness));
      const [a, b] = await Promise.all([
        runs.acquireLease(run.orgId, run.id, { owner: 'a', now: 1_000, ttlMs: 60_000 }),
        runs.acquireLease(run.orgId, run.id, { owner: 'b', now: 1_000, ttlMs: 60_000 }),
      ]);
      const winners = [a, b].filter(isLease);
      expect(winners).toHaveLength(1);
      const loser = [a, b].find((value) => !isLease(value));
      expect(loser).toMatchObject({ refused: true, reason: 'held' });
      const winner = winners[0];
      if (winner === undefined) throw new Error('no winner');
      const impostor: Lease = { ...winner, owner: winner.owner === 'a' ? 'b' : 'a' };
      await expectFenced(runs.commitStep(impostor, stepCommit()));
      await expectFenced(runs.commitStep({ ...winner, epoch: winner.epoch - 1 }, stepCommit()));
      const committed = await runs.commitStep(winner, stepCommit());
      expect(committed.run.lastSeq).toBe(1);
    });

    it('renews and releases only the current lease', async () => {
      const { runs } = harness.stores();
      const lease = await leased(harness);
      expect(await runs.renewLease(lease, 2_000, 5_000)).toBe(true);
      expect((await runs.get(lease.orgId, lease.runId))?.leaseExpiresAt).toBe(7_000);
      expect(await runs.renewLease({ ...lease, epoch: lease.epoch + 1 }, 2_000, 5_000)).toBe(false);
      await runs.releaseLease({ ...lease, owner: 'someone-else' });
      expect((await runs.get(lease.orgId, lease.runId))?.leaseOwner).toBe('worker-a');
      await runs.releaseLease(lease);
      expect(await runs.get(lease.orgId, lease.runId)).toMatchObject({
        leaseOwner: null,
        leaseExpiresAt: null,
      });
      expect(await runs.renewLease(lease, 2_000, 5_000)).toBe(false);
      await expectFenced(runs.commitStep(lease, stepCommit()));
    });

    it('appends events without gaps or duplicates under concurrency', async () => {
      const { runs } = harness.stores();
      const { run } = await runs.create(await newRun(harness));
      const batches = await Promise.all(
        Array.from({ length: 12 }, (_, index) =>
          runs.appendEvents(
            run.orgId,
            run.id,
            [
              { type: 'approval-resolve', callId: `call-${index}`, approved: true },
              { type: 'text-delta', step: 0, delta: 'ignored' },
              { type: 'lesson-learned', lesson: `lesson ${index}`, source: 'statistics' },
            ],
            1_000 + index,
          ),
        ),
      );
      const seqs = batches.flat().map((event) => event.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, index) => index + 1));
      const stored = await runs.events(run.orgId, run.id);
      expect(stored.map((event) => event.seq)).toEqual(Array.from({ length: 24 }, (_, index) => index + 1));
      expect(stored.some((event) => event.type === 'text-delta')).toBe(false);
      expect((await runs.get(run.orgId, run.id))?.lastSeq).toBe(24);
      await expectCode(
        runs.appendEvents(run.orgId, uniqueId('missing'), [{ type: 'step-start', step: 0 }], 1),
        'not_found',
      );
    });

    it('lists claimable runs: runnable, lease free or expired, by priority, filtered before the limit', async () => {
      const { runs } = harness.stores();
      const orgId = await newOrg(harness);
      const create = async (overrides: Parameters<typeof newRun>[1]) =>
        (await runs.create(await newRun(harness, { orgId, ...overrides }))).run;
      const low = await create({ priority: 'low', now: 1 });
      const critical = await create({ priority: 'critical', now: 2 });
      const held = await create({ now: 3 });
      const expired = await create({ now: 4 });
      await runs.acquireLease(orgId, held.id, { owner: 'w', now: 1_000, ttlMs: 60_000 });
      await runs.acquireLease(orgId, expired.id, { owner: 'w', now: 1_000, ttlMs: 10 });
      const done = await create({ now: 5 });
      await runs.transition(orgId, done.id, { status: 'queued', version: 0 }, { status: 'failed', now: 6 });
      // Waiting runs, even high-priority ones, never hide a claimable run behind the limit.
      for (let index = 0; index < 3; index += 1) {
        const waiting = await create({ priority: 'critical', now: 7 + index });
        await runs.transition(
          orgId,
          waiting.id,
          { status: 'queued', version: 0 },
          { status: 'waiting_approval', now: 8 },
        );
      }
      await runs.create(await newRun(harness, { priority: 'critical', now: 0 }));
      const claimable = await runs.claimable({ orgId, now: 2_000, limit: 3 });
      expect(claimable.map((run) => run.id)).toEqual([critical.id, expired.id, low.id]);
      expect(await runs.claimable({ orgId, now: 2_000, limit: 1 })).toHaveLength(1);
      const all = await runs.claimable({ orgId, now: 2_000, limit: 10, ignoreLeases: true });
      expect(all.map((run) => run.id)).toEqual([critical.id, held.id, expired.id, low.id]);
    });

    it("answers another organization's run as not found, and changes nothing of it", async () => {
      const { runs } = harness.stores();
      const lease = await leased(harness);
      const { orgId, runId } = lease;
      const stranger = await newOrg(harness);
      const mine = (await runs.create(await newRun(harness, { orgId: stranger }))).run;
      await runs.appendEvents(orgId, runId, [{ type: 'step-start', step: 0 }], 1_600);
      const before = await runs.get(orgId, runId);

      expect(await runs.get(stranger, runId)).toBeUndefined();
      expect(await runs.list({ orgId: stranger })).toEqual([mine]);
      // A cursor naming another organization's run reveals nothing of its position.
      expect(await runs.list({ orgId: stranger, before: runId })).toEqual([]);
      expect(await runs.list({ orgId, before: mine.id })).toEqual([]);
      expect(await runs.events(stranger, runId)).toEqual([]);
      expect(
        await runs.transition(
          stranger,
          runId,
          { status: 'queued', version: 0 },
          { status: 'cancelled', now: 1_700, events: [{ type: 'step-start', step: 0 }] },
        ),
      ).toBeUndefined();
      expect(await runs.acquireLease(stranger, runId, { owner: 'x', now: 1_700, ttlMs: 1_000 })).toEqual({
        refused: true,
        reason: 'not_found',
      });
      await expectCode(
        runs.appendEvents(stranger, runId, [{ type: 'step-start', step: 0 }], 1_700),
        'not_found',
      );
      // A lease is valid only for the organization it was taken in.
      await expectFenced(runs.commitStep({ ...lease, orgId: stranger }, stepCommit({ expectedLastSeq: 1 })));
      expect(await runs.renewLease({ ...lease, orgId: stranger }, 1_700, 1_000)).toBe(false);
      await runs.releaseLease({ ...lease, orgId: stranger });
      expect(
        (await runs.claimable({ orgId: stranger, now: 99_000, limit: 10 })).map((run) => run.id),
      ).toEqual([mine.id]);
      expect(await runs.get(orgId, runId)).toEqual(before);
      expect(await runs.events(orgId, runId)).toHaveLength(1);

      await runs.commitStep(lease, stepCommit({ expectedLastSeq: 1, status: 'failed' }));
      expect(await runs.finalize(stranger, runId, [{ type: 'step-start', step: 0 }], 3_000)).toBeUndefined();
      expect((await runs.get(orgId, runId))?.finalizedAt).toBeNull();
      expect(await runs.unfinalized({ orgId: stranger, endedBefore: 99_000, limit: 10 })).toEqual([]);
    });
  });
}
