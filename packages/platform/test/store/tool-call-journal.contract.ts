/** The ToolCallJournal contract: every implementation (PGlite, PostgreSQL, in-memory) must pass it. */
import type { Lease, ToolCallRecord } from '@autonoma/core';
import { describe, expect, it } from 'vitest';
import { expectFenced, leased, newOrg, stepCommit, type StoreHarness } from './fixtures.ts';

type NewCall = Omit<ToolCallRecord, 'result' | 'updatedAt'>;

/** A call of step `step` at `callIndex`, journalled as `status`. */
const call = (
  runId: string,
  options: { step?: number; callIndex?: number; status?: NewCall['status'] } = {},
) => {
  const step = options.step ?? 1;
  const callIndex = options.callIndex ?? 0;
  return {
    key: `${runId}:${step}:${callIndex}`,
    runId,
    step,
    callIndex,
    tool: 'http_request',
    args: { method: 'POST', url: 'https://example.com', body: { n: 1 } },
    argsHash: 'hash-1',
    status: options.status ?? 'started',
    idempotent: false,
    createdAt: 1_700,
  } satisfies NewCall;
};

/** Registers the ToolCallJournal contract under `ToolCallJournal [name]`. */
export function describeToolCallJournalContract(name: string, harness: StoreHarness): void {
  describe(`ToolCallJournal [${name}]`, () => {
    it('journals a call once even when begun twice at the same time', async () => {
      const { toolCalls } = harness.stores();
      const lease = await leased(harness);
      const [first, second] = await Promise.all([
        toolCalls.begin(lease, call(lease.runId)),
        toolCalls.begin(lease, { ...call(lease.runId), argsHash: 'other' }),
      ]);
      expect([first.created, second.created].sort()).toEqual([false, true]);
      expect(first.record).toEqual(second.record);
      expect(first.record).toMatchObject({ status: 'started', result: null, updatedAt: 1_700, step: 1 });
      const again = await toolCalls.begin(lease, call(lease.runId));
      expect(again.created).toBe(false);
      expect(await toolCalls.listForRun(lease.orgId, lease.runId)).toHaveLength(1);
    });

    it('is fenced by the run lease', async () => {
      const { runs, toolCalls } = harness.stores();
      const lease = await leased(harness);
      await runs.acquireLease(lease.orgId, lease.runId, {
        owner: 'other',
        now: 1_600,
        ttlMs: 60_000,
        steal: () => true,
      });
      await expectFenced(toolCalls.begin(lease, call(lease.runId)));
      expect(await toolCalls.get(lease.orgId, call(lease.runId).key)).toBeUndefined();
    });

    it('resolves by compare-and-set on status', async () => {
      const { toolCalls } = harness.stores();
      const lease = await leased(harness);
      const { record: stored } = await toolCalls.begin(
        lease,
        call(lease.runId, { status: 'awaiting_approval' }),
      );
      const resolve = (from: ToolCallRecord['status'], to: ToolCallRecord['status'], key = stored.key) =>
        toolCalls.resolve(lease.orgId, key, { from, to, result: { ok: 1 }, now: 1_800 });
      expect(await resolve('started', 'succeeded')).toBe(false);
      expect(await resolve('awaiting_approval', 'approved')).toBe(true);
      expect(await resolve('awaiting_approval', 'denied')).toBe(false);
      expect(await resolve('started', 'failed', 'missing:1:0')).toBe(false);
      expect(await toolCalls.get(lease.orgId, stored.key)).toMatchObject({
        status: 'approved',
        result: { ok: 1 },
        updatedAt: 1_800,
      });
    });

    it('completes calls atomically with the step commit', async () => {
      const { runs, toolCalls } = harness.stores();
      const lease = await leased(harness);
      await toolCalls.begin(lease, call(lease.runId, { callIndex: 0 }));
      await toolCalls.begin(lease, call(lease.runId, { callIndex: 1 }));
      await runs.commitStep(
        lease,
        stepCommit({
          toolCalls: [
            {
              key: call(lease.runId, { callIndex: 0 }).key,
              status: 'succeeded',
              result: { status: 200, body: 'ok' },
              now: 1_900,
            },
            {
              key: call(lease.runId, { callIndex: 1 }).key,
              status: 'failed',
              result: { code: 'timeout' },
              now: 1_901,
            },
          ],
        }),
      );
      const calls = await toolCalls.listForRun(lease.orgId, lease.runId);
      expect(calls.map((item) => [item.callIndex, item.status, item.result, item.updatedAt])).toEqual([
        [0, 'succeeded', { status: 200, body: 'ok' }, 1_900],
        [1, 'failed', { code: 'timeout' }, 1_901],
      ]);
      expect(calls[0]?.args).toEqual(call(lease.runId).args);
    });

    it('leaves calls untouched when the commit is fenced', async () => {
      const { runs, toolCalls } = harness.stores();
      const lease = await leased(harness);
      await toolCalls.begin(lease, call(lease.runId));
      await runs.acquireLease(lease.orgId, lease.runId, {
        owner: 'other',
        now: 1_600,
        ttlMs: 60_000,
        steal: () => true,
      });
      await expectFenced(
        runs.commitStep(
          lease,
          stepCommit({ toolCalls: [{ key: call(lease.runId).key, status: 'succeeded', result: 1, now: 1 }] }),
        ),
      );
      expect((await toolCalls.get(lease.orgId, call(lease.runId).key))?.status).toBe('started');
    });

    it("lists a step's journalled calls and every approved call as pending, in step and index order", async () => {
      const { toolCalls } = harness.stores();
      const lease = await leased(harness);
      const begin = async (step: number, callIndex: number, status: NewCall['status']) =>
        (await toolCalls.begin(lease, call(lease.runId, { step, callIndex, status }))).record.key;
      const settle = (key: string, from: ToolCallRecord['status'], to: ToolCallRecord['status']) =>
        toolCalls.resolve(lease.orgId, key, {
          from,
          to,
          result: to === 'succeeded' ? 'out' : null,
          now: 1_800,
        });
      const current = await begin(3, 0, 'started');
      const finished = await begin(3, 1, 'started');
      await settle(finished, 'started', 'succeeded');
      const broken = await begin(3, 2, 'started');
      await settle(broken, 'started', 'failed');
      await begin(3, 3, 'awaiting_approval');
      const approvedEarlier = await begin(1, 1, 'awaiting_approval');
      await settle(approvedEarlier, 'awaiting_approval', 'approved');
      const denied = await begin(1, 2, 'awaiting_approval');
      await settle(denied, 'awaiting_approval', 'denied');
      await begin(1, 0, 'started');
      await begin(2, 0, 'started');
      const approvedLater = await begin(4, 0, 'awaiting_approval');
      await settle(approvedLater, 'awaiting_approval', 'approved');
      const pending = await toolCalls.pending(lease.orgId, lease.runId, 3);
      expect(pending.map((item) => [item.key, item.status])).toEqual([
        [approvedEarlier, 'approved'],
        [current, 'started'],
        [finished, 'succeeded'],
        [broken, 'failed'],
        [approvedLater, 'approved'],
      ]);
      expect(pending[2]?.result).toBe('out');
      expect((await toolCalls.pending(lease.orgId, lease.runId, 5)).map((item) => item.key)).toEqual([
        approvedEarlier,
        approvedLater,
      ]);
      const other = await leased(harness, { run: { orgId: lease.orgId } });
      expect(await toolCalls.pending(lease.orgId, other.runId, 3)).toEqual([]);
    });

    it("answers another organization's calls as absent, and never resolves them", async () => {
      const { toolCalls } = harness.stores();
      const lease: Lease = await leased(harness);
      const { record } = await toolCalls.begin(lease, call(lease.runId, { status: 'awaiting_approval' }));
      const stranger = await newOrg(harness);
      expect(await toolCalls.get(stranger, record.key)).toBeUndefined();
      expect(await toolCalls.listForRun(stranger, lease.runId)).toEqual([]);
      expect(await toolCalls.pending(stranger, lease.runId, 1)).toEqual([]);
      expect(
        await toolCalls.resolve(stranger, record.key, {
          from: 'awaiting_approval',
          to: 'approved',
          result: null,
          now: 1_800,
        }),
      ).toBe(false);
      expect(await toolCalls.get(lease.orgId, record.key)).toEqual(record);
      expect(await toolCalls.listForRun(lease.orgId, lease.runId)).toEqual([record]);
      // A lease names its organization: one naming another cannot journal.
      await expectFenced(toolCalls.begin({ ...lease, orgId: stranger }, call(lease.runId, { callIndex: 1 })));
      expect(await toolCalls.listForRun(lease.orgId, lease.runId)).toHaveLength(1);
    });
  });
}
