/**
 * The RunStore contract for runs advanced in slices by many processes: wake times, the outbox written
 * with each change that makes a run runnable, and finalization.
 */
import type { EventPayload, Run, RunStatus } from '@autonoma/core';
import { describe, expect, it } from 'vitest';
import {
  isLease,
  leased,
  newOrg,
  newRun,
  stepCommit,
  stepEnd,
  uniqueId,
  usageWith,
  type StoreHarness,
} from './fixtures.ts';

const runEnd = (status: 'succeeded' | 'failed' | 'cancelled'): EventPayload => ({
  type: 'run-end',
  status,
  usage: usageWith({ steps: 1 }),
});

const lesson = (text: string): EventPayload => ({ type: 'lesson-learned', lesson: text, source: 'model' });

/** Registers the slice-related RunStore contract under `RunStore slices [name]`. */
export function describeRunSlicesContract(name: string, harness: StoreHarness): void {
  /** A run of `orgId` moved by compare-and-set from queued to `status` at `now`. */
  async function runIn(orgId: string, status: RunStatus, now: number): Promise<Run> {
    const { runs } = harness.stores();
    const { run } = await runs.create(await newRun(harness, { orgId, now }));
    if (status === 'queued') return run;
    const moved = await runs.transition(orgId, run.id, { status: 'queued', version: 0 }, { status, now });
    if (moved === undefined) throw new Error('transition refused');
    return moved.run;
  }

  describe(`RunStore slices [${name}]`, () => {
    it('keeps a sleeping run unclaimable until its wake time', async () => {
      const { runs } = harness.stores();
      const lease = await leased(harness);
      const running = await runs.commitStep(lease, stepCommit({ wakeAt: 5_000 }));
      // A wake time means something only to a sleeping run.
      expect(running.run.wakeAt).toBeNull();
      const asleep = await runs.commitStep(
        lease,
        stepCommit({ status: 'sleeping', wakeAt: 10_000, expectedLastSeq: 1, stepCount: 2 }),
      );
      expect(asleep.run).toMatchObject({ status: 'sleeping', wakeAt: 10_000 });
      expect(await runs.get(lease.orgId, lease.runId)).toMatchObject({ wakeAt: 10_000 });
      await runs.releaseLease(lease);
      const claimableAt = async (now: number) =>
        (await runs.claimable({ orgId: lease.orgId, now, limit: 10 })).map((run) => run.id);
      expect(await claimableAt(9_999)).toEqual([]);
      expect(await claimableAt(10_000)).toEqual([lease.runId]);
      expect(await claimableAt(20_000)).toEqual([lease.runId]);
      const woken = await runs.acquireLease(lease.orgId, lease.runId, {
        owner: 'w',
        now: 10_000,
        ttlMs: 60_000,
      });
      if (!isLease(woken)) throw new Error(`lease refused: ${woken.reason}`);
      const awake = await runs.commitStep(
        woken,
        stepCommit({ expectedLastSeq: 2, stepCount: 3, now: 10_500, leaseExpiresAt: 70_500 }),
      );
      expect(awake.run).toMatchObject({ status: 'running', wakeAt: null });
    });

    it('with ignoreLeases counts every lease as free, but never wakes a run early', async () => {
      const { runs } = harness.stores();
      const orgId = await newOrg(harness);
      const sleeper = async (wakeAt: number, now: number): Promise<string> => {
        const lease = await leased(harness, { run: { orgId, now } });
        await runs.commitStep(lease, stepCommit({ status: 'sleeping', wakeAt }));
        return lease.runId;
      };
      const late = await sleeper(10_000, 1);
      const early = await sleeper(3_000, 2);
      const busy = (await leased(harness, { run: { orgId, now: 3 } })).runId;
      await runIn(orgId, 'waiting_input', 4);
      const ids = async (now: number, ignoreLeases: boolean) =>
        (await runs.claimable({ orgId, now, limit: 10, ignoreLeases })).map((run) => run.id);
      expect(await ids(5_000, false)).toEqual([]);
      expect(await ids(5_000, true)).toEqual([early, busy]);
      expect(await ids(10_000, true)).toEqual([late, early, busy]);
      expect(await ids(2_999, true)).toEqual([busy]);
    });

    it('writes the first job with the run only when asked, once per run', async () => {
      const { runs } = harness.stores();
      const input = await newRun(harness, {
        idempotencyKey: uniqueId('key'),
        enqueue: { jobId: uniqueId('job') },
      });
      const { run } = await runs.create(input);
      expect(await harness.pendingJobs(run.id)).toEqual([
        expect.objectContaining({ jobId: input.enqueue?.jobId, runId: run.id, orgId: run.orgId }),
      ]);
      const again = await runs.create({ ...input, id: uniqueId('run'), enqueue: { jobId: uniqueId('job') } });
      expect(again).toMatchObject({ created: false, run: { id: run.id } });
      expect((await harness.pendingJobs(run.id)).map((job) => job.jobId)).toEqual([input.enqueue?.jobId]);
      const quiet = (await runs.create(await newRun(harness))).run;
      expect(await harness.pendingJobs(quiet.id)).toEqual([]);
    });

    it('writes one pending job per run: a second enqueue while one is pending is a no-op', async () => {
      const { runs } = harness.stores();
      const run = await runIn(await newOrg(harness), 'waiting_approval', 1_000);
      expect(await harness.pendingJobs(run.id)).toEqual([]);
      const first = uniqueId('job');
      const approved = await runs.transition(
        run.orgId,
        run.id,
        { status: 'waiting_approval', version: 1 },
        {
          status: 'queued',
          now: 1_100,
          events: [{ type: 'approval-resolve', callId: 'c1', approved: true }],
          enqueue: { jobId: first },
        },
      );
      expect(approved?.run).toMatchObject({ status: 'queued', version: 2, lastSeq: 1 });
      expect(await harness.pendingJobs(run.id)).toEqual([
        expect.objectContaining({ jobId: first, runId: run.id, orgId: run.orgId }),
      ]);
      // A refused transition writes no job.
      expect(
        await runs.transition(
          run.orgId,
          run.id,
          { status: 'waiting_approval', version: 1 },
          { status: 'queued', now: 1_200, enqueue: { jobId: uniqueId('job') } },
        ),
      ).toBeUndefined();
      const lease = await runs.acquireLease(run.orgId, run.id, { owner: 'w', now: 1_300, ttlMs: 60_000 });
      if (!isLease(lease)) throw new Error(`lease refused: ${lease.reason}`);
      await runs.commitStep(lease, stepCommit({ expectedLastSeq: 1, enqueue: { jobId: uniqueId('job') } }));
      expect((await harness.pendingJobs(run.id)).map((job) => job.jobId)).toEqual([first]);
    });

    it("writes a step's job in the commit, at the given time, and none without enqueue", async () => {
      const { runs } = harness.stores();
      const sleeping = await leased(harness);
      const jobId = uniqueId('job');
      await runs.commitStep(
        sleeping,
        stepCommit({ status: 'sleeping', wakeAt: 9_000, enqueue: { jobId, runAt: 9_000 } }),
      );
      expect(await harness.pendingJobs(sleeping.runId)).toEqual([
        { jobId, runId: sleeping.runId, orgId: sleeping.orgId, runAt: 9_000 },
      ]);
      const plain = await leased(harness);
      await runs.commitStep(plain, stepCommit());
      await runs.commitStep(plain, stepCommit({ expectedLastSeq: 1, status: 'waiting_input' }));
      expect(await harness.pendingJobs(plain.runId)).toEqual([]);
    });

    it('finalizes a terminal run once: appends its events and marks it finalized', async () => {
      const { runs } = harness.stores();
      const lease = await leased(harness);
      expect(await runs.finalize(lease.orgId, lease.runId, [runEnd('failed')], 2_500)).toBeUndefined();
      expect(await runs.events(lease.orgId, lease.runId)).toEqual([]);
      await runs.commitStep(
        lease,
        stepCommit({
          events: [{ type: 'step-start', step: 1 }, stepEnd(1)],
          status: 'succeeded',
          answer: 'ok',
        }),
      );
      expect(await runs.unfinalized({ orgId: lease.orgId, endedBefore: 3_000, limit: 10 })).toEqual([
        expect.objectContaining({ id: lease.runId, finalizedAt: null }),
      ]);
      const appended = await runs.finalize(
        lease.orgId,
        lease.runId,
        [lesson('check the sources'), runEnd('succeeded')],
        4_000,
      );
      expect(appended?.map((event) => [event.type, event.seq, event.at])).toEqual([
        ['lesson-learned', 3, 4_000],
        ['run-end', 4, 4_000],
      ]);
      const finalized = await runs.get(lease.orgId, lease.runId);
      expect(finalized).toMatchObject({ finalizedAt: 4_000, lastSeq: 4, status: 'succeeded', answer: 'ok' });
      expect((await runs.events(lease.orgId, lease.runId, 2)).map((event) => event.type)).toEqual([
        'lesson-learned',
        'run-end',
      ]);
      expect(await runs.finalize(lease.orgId, lease.runId, [runEnd('succeeded')], 5_000)).toBeUndefined();
      expect(await runs.get(lease.orgId, lease.runId)).toEqual(finalized);
      expect(await runs.events(lease.orgId, lease.runId)).toHaveLength(4);
      expect(await runs.unfinalized({ orgId: lease.orgId, endedBefore: 9_000, limit: 10 })).toEqual([]);
    });

    it('lets exactly one of two concurrent finalizations append', async () => {
      const { runs } = harness.stores();
      const run = await runIn(await newOrg(harness), 'queued', 1_000);
      await runs.transition(
        run.orgId,
        run.id,
        { status: 'queued', version: 0 },
        { status: 'cancelled', reason: 'stopped', now: 1_100, events: [{ type: 'step-start', step: 0 }] },
      );
      const results = await Promise.all(
        ['a', 'b'].map((who) =>
          runs.finalize(run.orgId, run.id, [lesson(`by ${who}`), runEnd('cancelled')], 1_200),
        ),
      );
      const winners = results.filter((result) => result !== undefined);
      expect(winners).toHaveLength(1);
      const events = await runs.events(run.orgId, run.id);
      expect(events.map((event) => event.seq)).toEqual([1, 2, 3]);
      expect(events.slice(1)).toEqual(winners[0]);
      expect(await runs.get(run.orgId, run.id)).toMatchObject({ lastSeq: 3, finalizedAt: 1_200 });
    });

    it('lists terminal runs left unfinalized, oldest ending first', async () => {
      const { runs } = harness.stores();
      const orgId = await newOrg(harness);
      const first = await runIn(orgId, 'failed', 100);
      const second = await runIn(orgId, 'cancelled', 150);
      const done = await runIn(orgId, 'succeeded', 120);
      await runs.finalize(orgId, done.id, [runEnd('succeeded')], 130);
      await runIn(orgId, 'running', 110);
      await runIn(orgId, 'waiting_children', 110);
      await runIn(orgId, 'queued', 110);
      const recent = await runIn(orgId, 'failed', 5_000);
      const ids = async (query: { endedBefore: number; limit: number }) =>
        (await runs.unfinalized({ orgId, ...query })).map((run) => run.id);
      expect(await ids({ endedBefore: 1_000, limit: 10 })).toEqual([first.id, second.id]);
      expect(await ids({ endedBefore: 1_000, limit: 1 })).toEqual([first.id]);
      expect(await ids({ endedBefore: 9_000, limit: 10 })).toEqual([first.id, second.id, recent.id]);
      const everywhere = (await runs.unfinalized({ endedBefore: 1_000, limit: 1_000 })).map((run) => run.id);
      expect(everywhere).toEqual(expect.arrayContaining([first.id, second.id]));
      expect(everywhere).not.toContain(done.id);
      expect(everywhere).not.toContain(recent.id);
    });
  });
}
