/**
 * The RunStore contract for run trees: children created with the step that delegated to them, the
 * parent made runnable by its last child's terminal commit, and a cancel that ends the whole tree.
 */
import type { Lease, NewRun, RunStore } from '@autonoma/core';
import { describe, expect, it } from 'vitest';
import { isLease, leased, stepCommit, uniqueId, usageWith, type StoreHarness } from './fixtures.ts';

/** Registers the run-tree RunStore contract under `RunStore trees [name]`. */
export function describeRunTreeContract(name: string, harness: StoreHarness): void {
  const child = (parent: Lease, goal: string): NewRun => ({
    id: uniqueId('run'),
    orgId: parent.orgId,
    agentId: 'agent_2',
    parentRunId: parent.runId,
    depth: 1,
    goal: { text: goal },
    budgets: { maxSteps: 3 },
    workspace: '/tmp/workspace',
    now: 2_000,
    enqueue: { jobId: uniqueId('job') },
  });

  /** A parent that delegated to `count` children in its first step. */
  async function delegated(count: number): Promise<{ runs: RunStore; parent: Lease; children: NewRun[] }> {
    const { runs } = harness.stores();
    const parent = await leased(harness);
    const children = Array.from({ length: count }, (_, index) => child(parent, `sub-goal ${index}`));
    await runs.commitStep(parent, stepCommit({ status: 'waiting_children', children }));
    await runs.releaseLease(parent);
    return { runs, parent, children };
  }

  /** Ends a child with a terminal step commit. */
  async function finish(runs: RunStore, orgId: string, id: string, now: number): Promise<void> {
    const lease = await runs.acquireLease(orgId, id, { owner: 'worker-c', now, ttlMs: 60_000 });
    if (!isLease(lease)) throw new Error(`lease refused: ${lease.reason}`);
    await runs.commitStep(
      lease,
      stepCommit({ status: 'succeeded', answer: `done ${id}`, usage: usageWith({ steps: 1 }), now }),
    );
  }

  describe(`RunStore trees [${name}]`, () => {
    it('creates the children with the delegating step, each with its job, one level deeper', async () => {
      const { runs, parent, children } = await delegated(3);
      const stored = await runs.list({ orgId: parent.orgId, parentRunId: parent.runId });
      expect(stored.map((run) => run.id).sort()).toEqual(children.map((run) => run.id).sort());
      for (const run of stored) {
        expect(run).toMatchObject({
          status: 'queued',
          depth: 1,
          agentId: 'agent_2',
          parentRunId: parent.runId,
        });
        expect(run.budgets).toEqual({ maxSteps: 3 });
        expect((await harness.pendingJobs(run.id)).map((job) => job.runId)).toEqual([run.id]);
      }
      expect(await runs.get(parent.orgId, parent.runId)).toMatchObject({ status: 'waiting_children' });
      expect(await harness.pendingJobs(parent.runId)).toEqual([]);
    });

    it('makes the parent runnable, with its job, in the commit of its last child only', async () => {
      const { runs, parent, children } = await delegated(2);
      const [first, second] = children;
      await finish(runs, parent.orgId, first?.id ?? '', 3_000);
      const waiting = await runs.get(parent.orgId, parent.runId);
      expect(waiting?.status).toBe('waiting_children');
      expect(await harness.pendingJobs(parent.runId)).toEqual([]);
      await finish(runs, parent.orgId, second?.id ?? '', 4_000);
      const woken = await runs.get(parent.orgId, parent.runId);
      expect(woken?.status).toBe('queued');
      // Every child that ended changed the parent's version (a compare-and-set on it sees them).
      expect(woken?.version).toBe((waiting?.version ?? 0) + 1);
      expect((await harness.pendingJobs(parent.runId)).map((job) => job.runId)).toEqual([parent.runId]);
      expect(
        (await runs.claimable({ orgId: parent.orgId, now: 5_000, limit: 10 })).map((run) => run.id),
      ).toEqual([parent.runId]);
    });

    it('wakes the parent once when its children end at the same moment', async () => {
      const { runs, parent, children } = await delegated(6);
      await Promise.all(children.map((run, index) => finish(runs, parent.orgId, run.id, 3_000 + index)));
      expect(await runs.get(parent.orgId, parent.runId)).toMatchObject({ status: 'queued' });
      expect(await harness.pendingJobs(parent.runId)).toHaveLength(1);
    });

    it('counts a child ended by a transition (a cancel) like one that committed its end', async () => {
      const { runs, parent, children } = await delegated(1);
      const only = children[0];
      const before = await runs.get(parent.orgId, only?.id ?? '');
      const cancelled = await runs.transition(
        parent.orgId,
        only?.id ?? '',
        { status: 'queued', version: before?.version ?? 0 },
        { status: 'cancelled', reason: 'not needed', now: 3_000 },
      );
      expect(cancelled?.run.status).toBe('cancelled');
      expect(await runs.get(parent.orgId, parent.runId)).toMatchObject({ status: 'queued' });
    });

    it('cancels every unfinished descendant with the root, in the same transaction', async () => {
      const { runs, parent, children } = await delegated(2);
      const [first, second] = children;
      // The first child delegated in turn; the second already ended.
      const lease = await runs.acquireLease(parent.orgId, first?.id ?? '', {
        owner: 'worker-d',
        now: 3_000,
        ttlMs: 60_000,
      });
      if (!isLease(lease)) throw new Error('lease refused');
      const grandchild = { ...child(lease, 'deeper'), depth: 2 };
      await runs.commitStep(
        lease,
        stepCommit({ status: 'waiting_children', children: [grandchild], now: 3_000 }),
      );
      await finish(runs, parent.orgId, second?.id ?? '', 3_500);
      const root = await runs.get(parent.orgId, parent.runId);
      const result = await runs.transition(
        parent.orgId,
        parent.runId,
        { status: root?.status ?? 'waiting_children', version: root?.version ?? 0 },
        { status: 'cancelled', reason: 'user stopped it', now: 4_000, cascade: true },
      );
      expect(result?.run.status).toBe('cancelled');
      expect(result?.cascaded?.sort()).toEqual([first?.id, grandchild.id].sort());
      expect(await runs.get(parent.orgId, first?.id ?? '')).toMatchObject({
        status: 'cancelled',
        reason: 'user stopped it',
        endedAt: 4_000,
      });
      expect(await runs.get(parent.orgId, grandchild.id)).toMatchObject({ status: 'cancelled' });
      // An ended child keeps its end.
      expect(await runs.get(parent.orgId, second?.id ?? '')).toMatchObject({ status: 'succeeded' });
      // The cancelled runs' logs are left to finalize.
      const unfinalized = await runs.unfinalized({ orgId: parent.orgId, endedBefore: 5_000, limit: 10 });
      expect(unfinalized.map((run) => run.id)).toEqual(expect.arrayContaining([first?.id, grandchild.id]));
    });

    it('creates no child twice: a commit naming an existing child leaves it as it is', async () => {
      const { runs, parent, children } = await delegated(1);
      const existing = children[0];
      const other = await leased(harness, { run: { orgId: parent.orgId } });
      await runs.commitStep(
        other,
        stepCommit({
          status: 'waiting_children',
          children: [{ ...(existing as NewRun), goal: { text: 'changed' } }],
        }),
      );
      const stored = await runs.get(parent.orgId, existing?.id ?? '');
      expect(stored).toMatchObject({ parentRunId: parent.runId, goal: { text: 'sub-goal 0' } });
    });
  });
}
