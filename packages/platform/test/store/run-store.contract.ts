/** The RunStore contract: every implementation (PGlite, PostgreSQL, in-memory) must pass it. */
import { isAutonomaError, type Lease, type LeaseRefusal } from '@autonoma/core';
import { describe, expect, it } from 'vitest';
import { newRun, stepCommit, stepEnd, uniqueId, type GetStores } from './fixtures.ts';

const isLease = (value: Lease | LeaseRefusal): value is Lease => !('refused' in value);

async function leased(getStores: GetStores, owner = 'worker-a', now = 1_500): Promise<Lease> {
  const { runs } = getStores();
  const { run } = await runs.create(newRun());
  const lease = await runs.acquireLease(run.id, { owner, now, ttlMs: 60_000 });
  if (!isLease(lease)) throw new Error(`lease refused: ${lease.reason}`);
  return lease;
}

const expectFenced = async (promise: Promise<unknown>): Promise<void> => {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isAutonomaError(error) && error.code).toBe('fenced');
};

/** Registers the RunStore contract under `RunStore [name]`. */
export function describeRunStoreContract(name: string, getStores: GetStores): void {
  describe(`RunStore [${name}]`, () => {
    it('creates a queued run with defaults and reads it back', async () => {
      const { runs } = getStores();
      const input = newRun({
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
        leaseOwner: null,
        leaseEpoch: 0,
        parentRunId: null,
        createdAt: 1_000,
        endedAt: null,
      });
      expect(await runs.get(input.id)).toEqual(run);
      expect(await runs.get(uniqueId('missing'))).toBeUndefined();
    });

    it('returns the first run for a repeated idempotency key in the same organization', async () => {
      const { runs } = getStores();
      const first = newRun({ idempotencyKey: 'key-1' });
      await runs.create(first);
      const again = await runs.create({ ...first, id: uniqueId('run') });
      expect(again).toMatchObject({ created: false, run: { id: first.id } });
      const otherOrg = await runs.create({ ...first, id: uniqueId('run'), orgId: uniqueId('org') });
      expect(otherOrg.created).toBe(true);
    });

    it('lists newest first with filters and a cursor, scoped to the organization', async () => {
      const { runs } = getStores();
      const orgId = uniqueId('org');
      const ids: string[] = [];
      for (let index = 0; index < 5; index += 1) {
        const input = newRun({ orgId, now: 1_000 + index, agentId: index % 2 === 0 ? 'even' : 'odd' });
        ids.push(input.id);
        await runs.create(input);
      }
      await runs.create(newRun());
      const all = await runs.list({ orgId });
      expect(all.map((run) => run.id)).toEqual([...ids].reverse());
      const page = await runs.list({ orgId, limit: 2 });
      const next = await runs.list({ orgId, limit: 2, before: page.at(-1)?.id });
      expect([...page, ...next].map((run) => run.id)).toEqual([...ids].reverse().slice(0, 4));
      expect((await runs.list({ orgId, agentId: 'odd' })).map((run) => run.id)).toEqual([ids[3], ids[1]]);
      expect(await runs.list({ orgId, status: ['running'] })).toEqual([]);
    });

    it('transitions by compare-and-set and bumps the version', async () => {
      const { runs } = getStores();
      const { run } = await runs.create(newRun());
      const result = await runs.transition(
        run.id,
        { status: 'queued', version: 0 },
        { status: 'running', now: 1_100 },
        [{ type: 'run-start', goal: 'write the report', agent: 'default', brain: 'planner', resumed: false }],
      );
      expect(result?.run).toMatchObject({ status: 'running', version: 1, lastSeq: 1, updatedAt: 1_100 });
      expect(result?.events).toEqual([expect.objectContaining({ type: 'run-start', seq: 1, runId: run.id })]);
      expect(
        await runs.transition(run.id, { status: 'queued', version: 0 }, { status: 'running', now: 1 }),
      ).toBe(undefined);
      expect(
        await runs.transition(run.id, { status: 'running', version: 0 }, { status: 'failed', now: 1 }),
      ).toBe(undefined);
    });

    it('lets exactly one of two racing transitions win', async () => {
      const { runs } = getStores();
      const { run } = await runs.create(newRun());
      const results = await Promise.all([
        runs.transition(run.id, { status: 'queued', version: 0 }, { status: 'running', now: 1_100 }, [
          { type: 'step-start', step: 0 },
        ]),
        runs.transition(run.id, { status: 'queued', version: 0 }, { status: 'cancelled', now: 1_100 }, [
          { type: 'step-start', step: 0 },
        ]),
      ]);
      expect(results.filter((result) => result !== undefined)).toHaveLength(1);
      const stored = await runs.get(run.id);
      expect(stored?.version).toBe(1);
      expect(await runs.events(run.id)).toHaveLength(1);
    });

    it('never changes a terminal run again', async () => {
      const { runs } = getStores();
      const { run } = await runs.create(newRun());
      const ended = await runs.transition(
        run.id,
        { status: 'queued', version: 0 },
        { status: 'succeeded', answer: 'done', now: 1_200 },
      );
      expect(ended?.run).toMatchObject({ status: 'succeeded', answer: 'done', endedAt: 1_200, version: 1 });
      expect(
        await runs.transition(run.id, { status: 'succeeded', version: 1 }, { status: 'running', now: 1_300 }),
      ).toBeUndefined();
      const lease = await runs.acquireLease(run.id, { owner: 'w', now: 1_300, ttlMs: 1_000 });
      expect(lease).toMatchObject({ refused: true, reason: 'terminal' });
      const stored = await runs.get(run.id);
      expect(stored).toMatchObject({ status: 'succeeded', version: 1, leaseOwner: null });
      expect(await runs.resumable(run.orgId, 5_000, 10)).toEqual([]);
    });

    it('refuses a lease for a missing run and a held lease, and takes an expired one', async () => {
      const { runs } = getStores();
      expect(await runs.acquireLease(uniqueId('missing'), { owner: 'a', now: 0, ttlMs: 10 })).toMatchObject({
        refused: true,
        reason: 'not_found',
      });
      const { run } = await runs.create(newRun());
      const first = await runs.acquireLease(run.id, { owner: 'a', now: 1_000, ttlMs: 1_000 });
      expect(first).toMatchObject({ runId: run.id, owner: 'a', epoch: 1, expiresAt: 2_000 });
      expect(await runs.acquireLease(run.id, { owner: 'b', now: 1_500, ttlMs: 1_000 })).toMatchObject({
        refused: true,
        reason: 'held',
        run: { leaseOwner: 'a' },
      });
      const stolen = await runs.acquireLease(run.id, {
        owner: 'b',
        now: 1_500,
        ttlMs: 1_000,
        steal: (h) => h === 'a',
      });
      expect(stolen).toMatchObject({ owner: 'b', epoch: 2 });
      const afterExpiry = await runs.acquireLease(run.id, { owner: 'c', now: 5_000, ttlMs: 1_000 });
      expect(afterExpiry).toMatchObject({ owner: 'c', epoch: 3 });
    });

    it('gives a contested lease to one acquirer and fences the loser', async () => {
      const { runs } = getStores();
      const { run } = await runs.create(newRun());
      const [a, b] = await Promise.all([
        runs.acquireLease(run.id, { owner: 'a', now: 1_000, ttlMs: 60_000 }),
        runs.acquireLease(run.id, { owner: 'b', now: 1_000, ttlMs: 60_000 }),
      ]);
      const winners = [a, b].filter(isLease);
      expect(winners).toHaveLength(1);
      const loser = [a, b].find((value) => !isLease(value));
      expect(loser).toMatchObject({ refused: true, reason: 'held' });
      const winner = winners[0];
      if (winner === undefined) throw new Error('no winner');
      const stale: Lease = { ...winner, owner: winner.owner === 'a' ? 'b' : 'a' };
      await expectFenced(runs.commitStep(stale, stepCommit()));
      await expectFenced(runs.commitStep({ ...winner, epoch: winner.epoch - 1 }, stepCommit()));
      const committed = await runs.commitStep(winner, stepCommit());
      expect(committed.run.lastSeq).toBe(1);
    });

    it('a commit extends the lease once less than half of it remains', async () => {
      const { runs } = getStores();
      const lease = await leased(getStores);
      const late = lease.expiresAt - 1;
      const result = await runs.commitStep(lease, stepCommit({ now: late, leaseExpiresAt: late + 60_000 }));
      expect(result.run.leaseExpiresAt).toBe(late + 60_000);
    });

    it('commits a step: state, events with seq, never text-delta', async () => {
      const { runs } = getStores();
      const lease = await leased(getStores);
      const result = await runs.commitStep(
        lease,
        stepCommit({
          events: [
            { type: 'step-start', step: 1 },
            { type: 'text-delta', step: 1, delta: 'Hel' },
            { type: 'text-delta', step: 1, delta: 'lo' },
            stepEnd(1),
          ],
          answer: 'partial',
          leaseExpiresAt: 99_000,
        }),
      );
      expect(result.run).toMatchObject({
        status: 'running',
        version: 1,
        stepCount: 1,
        lastSeq: 2,
        brainState: { plan: ['a', 'b'] },
        answer: 'partial',
        // More than half of the lease is left: the commit keeps it (the row can be updated in place).
        leaseExpiresAt: lease.expiresAt,
        usage: { steps: 1 },
        updatedAt: 2_000,
      });
      expect(result.events.map((event) => [event.type, event.seq])).toEqual([
        ['step-start', 1],
        ['step-end', 2],
      ]);
      const stored = await runs.events(lease.runId);
      expect(stored).toEqual(result.events);
      expect(stored.every((event) => event.at === 2_000 && event.runId === lease.runId)).toBe(true);
      expect(await runs.events(lease.runId, 1)).toEqual([result.events[1]]);
      expect(await runs.events(lease.runId, 0, 1)).toEqual([result.events[0]]);
      const second = await runs.commitStep(
        lease,
        stepCommit({ events: [stepEnd(2)], stepCount: 2, status: 'succeeded', answer: 'final', now: 3_000 }),
      );
      expect(second.run).toMatchObject({ lastSeq: 3, status: 'succeeded', endedAt: 3_000, answer: 'final' });
      expect(second.events[0]?.seq).toBe(3);
      await expectFenced(runs.commitStep(lease, stepCommit({ now: 4_000 })));
      expect((await runs.get(lease.runId))?.version).toBe(2);
    });

    it('writes nothing when a commit is fenced', async () => {
      const { runs } = getStores();
      const lease = await leased(getStores);
      const newer = await runs.acquireLease(lease.runId, {
        owner: 'worker-b',
        now: 1_600,
        ttlMs: 60_000,
        steal: () => true,
      });
      expect(isLease(newer)).toBe(true);
      await expectFenced(runs.commitStep(lease, stepCommit({ status: 'failed' })));
      const run = await runs.get(lease.runId);
      expect(run).toMatchObject({ status: 'queued', version: 0, lastSeq: 0, leaseOwner: 'worker-b' });
      expect(await runs.events(lease.runId)).toEqual([]);
    });

    it('renews and releases only the current lease', async () => {
      const { runs } = getStores();
      const lease = await leased(getStores);
      expect(await runs.renewLease(lease, 2_000, 5_000)).toBe(true);
      expect((await runs.get(lease.runId))?.leaseExpiresAt).toBe(7_000);
      expect(await runs.renewLease({ ...lease, epoch: lease.epoch + 1 }, 2_000, 5_000)).toBe(false);
      await runs.releaseLease({ ...lease, owner: 'someone-else' });
      expect((await runs.get(lease.runId))?.leaseOwner).toBe('worker-a');
      await runs.releaseLease(lease);
      expect(await runs.get(lease.runId)).toMatchObject({ leaseOwner: null, leaseExpiresAt: null });
      expect(await runs.renewLease(lease, 2_000, 5_000)).toBe(false);
      await expectFenced(runs.commitStep(lease, stepCommit()));
    });

    it('appends events without gaps or duplicates under concurrency', async () => {
      const { runs } = getStores();
      const { run } = await runs.create(newRun());
      const batches = await Promise.all(
        Array.from({ length: 12 }, (_, index) =>
          runs.appendEvents(
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
      const stored = await runs.events(run.id);
      expect(stored.map((event) => event.seq)).toEqual(Array.from({ length: 24 }, (_, index) => index + 1));
      expect(stored.some((event) => event.type === 'text-delta')).toBe(false);
      expect((await runs.get(run.id))?.lastSeq).toBe(24);
      await expect(
        runs.appendEvents(uniqueId('missing'), [{ type: 'step-start', step: 0 }], 1),
      ).rejects.toMatchObject({ code: 'not_found' });
    });

    it('interleaves step commits and appended events in one sequence', async () => {
      const { runs } = getStores();
      const lease = await leased(getStores);
      await Promise.all([
        runs.commitStep(lease, stepCommit({ events: [{ type: 'step-start', step: 1 }, stepEnd(1)] })),
        runs.appendEvents(lease.runId, [{ type: 'approval-resolve', callId: 'c', approved: false }], 2_000),
        runs.appendEvents(lease.runId, [{ type: 'approval-resolve', callId: 'd', approved: true }], 2_000),
      ]);
      const seqs = (await runs.events(lease.runId)).map((event) => event.seq);
      expect(seqs).toEqual([1, 2, 3, 4]);
    });

    it('lists resumable runs: not terminal, lease free or expired, by priority', async () => {
      const { runs } = getStores();
      const orgId = uniqueId('org');
      const low = await runs.create(newRun({ orgId, priority: 'low', now: 1 }));
      const critical = await runs.create(newRun({ orgId, priority: 'critical', now: 2 }));
      const held = await runs.create(newRun({ orgId, now: 3 }));
      const expired = await runs.create(newRun({ orgId, now: 4 }));
      await runs.acquireLease(held.run.id, { owner: 'w', now: 1_000, ttlMs: 60_000 });
      await runs.acquireLease(expired.run.id, { owner: 'w', now: 1_000, ttlMs: 10 });
      const done = await runs.create(newRun({ orgId, now: 5 }));
      await runs.transition(done.run.id, { status: 'queued', version: 0 }, { status: 'failed', now: 6 });
      const resumable = await runs.resumable(orgId, 2_000, 10);
      expect(resumable.map((run) => run.id)).toEqual([critical.run.id, expired.run.id, low.run.id]);
      expect(await runs.resumable(orgId, 2_000, 1)).toHaveLength(1);
    });
  });
}

/** Registers the ToolCallJournal contract under `ToolCallJournal [name]`. */
export function describeToolCallJournalContract(name: string, getStores: GetStores): void {
  describe(`ToolCallJournal [${name}]`, () => {
    const record = (runId: string, callIndex = 0) => ({
      key: `${runId}:1:${callIndex}`,
      runId,
      step: 1,
      callIndex,
      tool: 'http_request',
      args: { method: 'POST', url: 'https://example.com', body: { n: 1 } },
      argsHash: 'hash-1',
      status: 'started' as const,
      idempotent: false,
      createdAt: 1_700,
    });

    it('journals a call once even when begun twice at the same time', async () => {
      const { toolCalls } = getStores();
      const lease = await leased(getStores);
      const [first, second] = await Promise.all([
        toolCalls.begin(lease, record(lease.runId)),
        toolCalls.begin(lease, { ...record(lease.runId), argsHash: 'other' }),
      ]);
      expect([first.created, second.created].sort()).toEqual([false, true]);
      expect(first.record).toEqual(second.record);
      expect(first.record).toMatchObject({ status: 'started', result: null, updatedAt: 1_700, step: 1 });
      const again = await toolCalls.begin(lease, record(lease.runId));
      expect(again.created).toBe(false);
      expect(await toolCalls.listForRun(lease.runId)).toHaveLength(1);
    });

    it('is fenced by the run lease', async () => {
      const { runs, toolCalls } = getStores();
      const lease = await leased(getStores);
      await runs.acquireLease(lease.runId, { owner: 'other', now: 1_600, ttlMs: 60_000, steal: () => true });
      await expectFenced(toolCalls.begin(lease, record(lease.runId)));
      expect(await toolCalls.get(record(lease.runId).key)).toBeUndefined();
    });

    it('resolves by compare-and-set on status', async () => {
      const { toolCalls } = getStores();
      const lease = await leased(getStores);
      const { record: stored } = await toolCalls.begin(lease, {
        ...record(lease.runId),
        status: 'awaiting_approval',
      });
      expect(await toolCalls.resolve(stored.key, 'started', 'succeeded', { ok: 1 }, 1_800)).toBe(false);
      expect(await toolCalls.resolve(stored.key, 'awaiting_approval', 'started', null, 1_800)).toBe(true);
      expect(await toolCalls.resolve(stored.key, 'awaiting_approval', 'denied', null, 1_800)).toBe(false);
      expect(await toolCalls.resolve('missing:1:0', 'started', 'failed', null, 1_800)).toBe(false);
      expect(await toolCalls.get(stored.key)).toMatchObject({ status: 'started', updatedAt: 1_800 });
    });

    it('completes calls atomically with the step commit', async () => {
      const { runs, toolCalls } = getStores();
      const lease = await leased(getStores);
      await toolCalls.begin(lease, record(lease.runId, 0));
      await toolCalls.begin(lease, record(lease.runId, 1));
      await runs.commitStep(
        lease,
        stepCommit({
          toolCalls: [
            {
              key: record(lease.runId, 0).key,
              status: 'succeeded',
              result: { status: 200, body: 'ok' },
              now: 1_900,
            },
            { key: record(lease.runId, 1).key, status: 'failed', result: { code: 'timeout' }, now: 1_901 },
          ],
        }),
      );
      const calls = await toolCalls.listForRun(lease.runId);
      expect(calls.map((call) => [call.callIndex, call.status, call.result, call.updatedAt])).toEqual([
        [0, 'succeeded', { status: 200, body: 'ok' }, 1_900],
        [1, 'failed', { code: 'timeout' }, 1_901],
      ]);
      expect(calls[0]?.args).toEqual(record(lease.runId).args);
    });

    it('leaves calls untouched when the commit is fenced', async () => {
      const { runs, toolCalls } = getStores();
      const lease = await leased(getStores);
      await toolCalls.begin(lease, record(lease.runId));
      await runs.acquireLease(lease.runId, { owner: 'other', now: 1_600, ttlMs: 60_000, steal: () => true });
      await expectFenced(
        runs.commitStep(
          lease,
          stepCommit({
            toolCalls: [{ key: record(lease.runId).key, status: 'succeeded', result: 1, now: 1 }],
          }),
        ),
      );
      expect((await toolCalls.get(record(lease.runId).key))?.status).toBe('started');
    });
  });
}
