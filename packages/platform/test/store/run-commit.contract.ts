/**
 * The RunStore contract for step commits: what a commit writes, the context it carries, and what it
 * refuses (a lost lease is `fenced`, missed events are `stale`), writing nothing then.
 */
import { isAutonomaError, RunContext } from '@autonoma/core';
import { describe, expect, it } from 'vitest';
import {
  expectFenced,
  isLease,
  leased,
  rejection,
  stepCommit,
  stepEnd,
  uniqueId,
  type StoreHarness,
} from './fixtures.ts';

/** A context with a summary, open calls and text the JSON round trip must keep. */
const richContext = (): RunContext =>
  RunContext.parse({
    version: 3,
    windowFromSeq: 4,
    summary: { text: 'Steps 1–3: read the notes «draft» ✓', coversSteps: 3 },
    open: { c3: 'shell_exec' },
  });

/** Registers the step-commit RunStore contract under `RunStore commits [name]`. */
export function describeRunCommitContract(name: string, harness: StoreHarness): void {
  describe(`RunStore commits [${name}]`, () => {
    it('a commit extends the lease once less than half of it remains', async () => {
      const { runs } = harness.stores();
      const lease = await leased(harness);
      const late = lease.expiresAt - 1;
      const result = await runs.commitStep(lease, stepCommit({ now: late, leaseExpiresAt: late + 60_000 }));
      expect(result.run.leaseExpiresAt).toBe(late + 60_000);
    });

    it('commits a step: state, events with seq, never text-delta', async () => {
      const { runs } = harness.stores();
      const lease = await leased(harness);
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
      const stored = await runs.events(lease.orgId, lease.runId);
      expect(stored).toEqual(result.events);
      expect(stored.every((event) => event.at === 2_000 && event.runId === lease.runId)).toBe(true);
      expect(await runs.events(lease.orgId, lease.runId, 1)).toEqual([result.events[1]]);
      expect(await runs.events(lease.orgId, lease.runId, 0, 1)).toEqual([result.events[0]]);
      const second = await runs.commitStep(
        lease,
        stepCommit({
          events: [stepEnd(2)],
          expectedLastSeq: 2,
          stepCount: 2,
          status: 'succeeded',
          answer: 'final',
          now: 3_000,
        }),
      );
      expect(second.run).toMatchObject({ lastSeq: 3, status: 'succeeded', endedAt: 3_000, answer: 'final' });
      expect(second.events[0]?.seq).toBe(3);
      await expectFenced(runs.commitStep(lease, stepCommit({ expectedLastSeq: 3, now: 4_000 })));
      expect((await runs.get(lease.orgId, lease.runId))?.version).toBe(2);
    });

    it('stores the context with the step and reads it back unchanged', async () => {
      const { runs } = harness.stores();
      const lease = await leased(harness);
      const context = richContext();
      const result = await runs.commitStep(lease, stepCommit({ context }));
      expect(result.run.context).toEqual(context);
      const stored = await runs.get(lease.orgId, lease.runId);
      expect(stored?.context).toEqual(context);
      expect(RunContext.parse(stored?.context)).toEqual(context);
      const next = { ...context, windowFromSeq: 9, open: {} };
      await runs.commitStep(lease, stepCommit({ context: next, expectedLastSeq: 1, stepCount: 2 }));
      expect((await runs.get(lease.orgId, lease.runId))?.context).toEqual(next);
      // A commit without a context (it did not change) keeps the stored one.
      const { context: _unchanged, ...withoutContext } = stepCommit({ expectedLastSeq: 2, stepCount: 3 });
      await runs.commitStep(lease, withoutContext);
      expect((await runs.get(lease.orgId, lease.runId))?.context).toEqual(next);
    });

    it('stores the preparation once, with the start, and keeps it through later steps', async () => {
      const { runs } = harness.stores();
      const lease = await leased(harness);
      const preparation = {
        recalled: [
          {
            id: 'mem_1',
            kind: 'lesson',
            text: 'ask «first»',
            score: 0.75,
            relevance: 0.5,
            recency: 1,
            importance: 0.25,
          },
        ],
        reusablePlan: { id: 'plan_1', steps: [{ tool: 'fs_read', args: { path: 'notes.md' } }], extra: 1.5 },
        learnedCosts: [['fs_read', 1.5]] as [string, number][],
        conversation: { summary: null, turns: [{ user: 'hi «there»', agent: 'hello', status: 'succeeded' }] },
      };
      await runs.commitStep(lease, stepCommit({ preparation, stepCount: 0 }));
      expect((await runs.get(lease.orgId, lease.runId))?.preparation).toEqual(preparation);
      await runs.commitStep(lease, stepCommit({ expectedLastSeq: 1, stepCount: 1 }));
      expect((await runs.get(lease.orgId, lease.runId))?.preparation).toEqual(preparation);
    });

    it('refuses a commit that missed appended events as stale, writing nothing', async () => {
      const { runs, toolCalls } = harness.stores();
      const lease = await leased(harness);
      await toolCalls.begin(lease, {
        key: `${lease.runId}:1:0`,
        runId: lease.runId,
        step: 1,
        callIndex: 0,
        tool: 'fs_read',
        args: {},
        argsHash: 'h',
        status: 'started',
        idempotent: true,
        createdAt: 1_600,
      });
      const [answer] = await runs.appendEvents(
        lease.orgId,
        lease.runId,
        [{ type: 'approval-resolve', callId: 'c0', approved: true }],
        1_700,
      );
      const commit = stepCommit({
        events: [{ type: 'step-start', step: 1 }, stepEnd(1)],
        toolCalls: [{ key: `${lease.runId}:1:0`, status: 'succeeded', result: 'text', now: 1_900 }],
        enqueue: { jobId: uniqueId('job') },
      });
      const error = await rejection(runs.commitStep(lease, commit));
      expect(isAutonomaError(error) && error.code).toBe('stale');
      expect(await runs.get(lease.orgId, lease.runId)).toMatchObject({
        status: 'queued',
        version: 0,
        lastSeq: 1,
        stepCount: 0,
        context: null,
        endedAt: null,
        leaseOwner: lease.owner,
      });
      expect(await runs.events(lease.orgId, lease.runId)).toEqual([answer]);
      expect((await toolCalls.get(lease.orgId, `${lease.runId}:1:0`))?.status).toBe('started');
      expect(await harness.pendingJobs(lease.runId)).toEqual([]);
      // Folded in, the same step commits after the appended event.
      const retried = await runs.commitStep(lease, { ...commit, expectedLastSeq: 1 });
      expect(retried.events.map((event) => event.seq)).toEqual([2, 3]);
      expect(retried.run).toMatchObject({ status: 'running', version: 1, lastSeq: 3 });
      expect((await toolCalls.get(lease.orgId, `${lease.runId}:1:0`))?.status).toBe('succeeded');
      expect(await harness.pendingJobs(lease.runId)).toEqual([
        expect.objectContaining({ jobId: commit.enqueue?.jobId, runId: lease.runId }),
      ]);
    });

    it('reports a lost lease as fenced even when the commit is also stale', async () => {
      const { runs } = harness.stores();
      const lease = await leased(harness);
      await runs.appendEvents(lease.orgId, lease.runId, [{ type: 'step-start', step: 0 }], 1_600);
      await runs.acquireLease(lease.orgId, lease.runId, {
        owner: 'worker-b',
        now: 1_700,
        ttlMs: 60_000,
        steal: () => true,
      });
      await expectFenced(runs.commitStep(lease, stepCommit({ expectedLastSeq: 0 })));
      await expectFenced(runs.commitStep(lease, stepCommit({ expectedLastSeq: 1 })));
      expect(await runs.get(lease.orgId, lease.runId)).toMatchObject({ version: 0, lastSeq: 1 });
    });

    it('writes nothing when a commit is fenced', async () => {
      const { runs } = harness.stores();
      const lease = await leased(harness);
      const newer = await runs.acquireLease(lease.orgId, lease.runId, {
        owner: 'worker-b',
        now: 1_600,
        ttlMs: 60_000,
        steal: () => true,
      });
      expect(isLease(newer)).toBe(true);
      await expectFenced(
        runs.commitStep(lease, stepCommit({ status: 'failed', enqueue: { jobId: uniqueId('job') } })),
      );
      const run = await runs.get(lease.orgId, lease.runId);
      expect(run).toMatchObject({ status: 'queued', version: 0, lastSeq: 0, leaseOwner: 'worker-b' });
      expect(await runs.events(lease.orgId, lease.runId)).toEqual([]);
      expect(await harness.pendingJobs(lease.runId)).toEqual([]);
    });

    it('interleaves step commits and appended events in one gapless sequence', async () => {
      const { runs } = harness.stores();
      const lease = await leased(harness);
      const commit = stepCommit({ events: [{ type: 'step-start', step: 1 }, stepEnd(1)] });
      const [committed] = await Promise.all([
        // An append may land first: the commit is then stale and writes nothing.
        runs.commitStep(lease, commit).then(
          () => true,
          (error: unknown) => {
            if (isAutonomaError(error) && error.code === 'stale') return false;
            throw error;
          },
        ),
        runs.appendEvents(
          lease.orgId,
          lease.runId,
          [{ type: 'approval-resolve', callId: 'c', approved: false }],
          2_000,
        ),
        runs.appendEvents(
          lease.orgId,
          lease.runId,
          [{ type: 'approval-resolve', callId: 'd', approved: true }],
          2_000,
        ),
      ]);
      if (!committed) {
        expect((await runs.events(lease.orgId, lease.runId)).map((event) => event.seq)).toEqual([1, 2]);
        await runs.commitStep(lease, { ...commit, expectedLastSeq: 2 });
      }
      const events = await runs.events(lease.orgId, lease.runId);
      expect(events.map((event) => event.seq)).toEqual([1, 2, 3, 4]);
      expect(events.filter((event) => event.type === 'step-start')).toHaveLength(1);
      expect(events.filter((event) => event.type === 'approval-resolve')).toHaveLength(2);
    });
  });
}
