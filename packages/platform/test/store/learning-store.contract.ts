/** The StatsStore and PlanStore contracts. */
import type { ReusablePlan } from '@autonoma/core';
import { describe, expect, it } from 'vitest';
import { newOrg, uniqueId, type StoreHarness } from './fixtures.ts';
import { axisVector } from './memory-store.contract.ts';

/** Registers the StatsStore contract under `StatsStore [name]`. */
export function describeStatsStoreContract(name: string, harness: StoreHarness): void {
  describe(`StatsStore [${name}]`, () => {
    it('accumulates outcomes per (agent, signature, action), also under concurrency', async () => {
      const { stats } = harness.stores();
      const orgId = await newOrg(harness);
      const outcome = {
        orgId,
        agentId: 'agent_1',
        signature: 'fetch:url',
        action: 'http_request',
        success: true,
        reward: 1,
        costUsd: 0.01,
        latencyMs: 100,
        now: 1_000,
      };
      await Promise.all(
        Array.from({ length: 8 }, (_, index) =>
          stats.record({ ...outcome, success: index % 4 !== 0, now: 1_000 + index }),
        ),
      );
      await stats.record({ ...outcome, action: 'shell_exec', success: false, reward: -1 });
      await stats.record({ ...outcome, agentId: 'agent_2' });
      const forSignature = await stats.get(orgId, 'agent_1', 'fetch:url');
      expect(forSignature.map((item) => item.action)).toEqual(['http_request', 'shell_exec']);
      expect(forSignature[0]).toMatchObject({
        trials: 8,
        successes: 6,
        agentId: 'agent_1',
        updatedAt: 1_007,
      });
      expect(forSignature[0]?.totalReward).toBeCloseTo(8, 9);
      expect(forSignature[0]?.totalCostUsd).toBeCloseTo(0.08, 9);
      expect(forSignature[0]?.totalLatencyMs).toBeCloseTo(800, 9);
      expect(await stats.list(orgId)).toHaveLength(3);
      expect(await stats.list(orgId, 'agent_2')).toHaveLength(1);
      expect(await stats.list(uniqueId('org'))).toEqual([]);
    });
  });
}

/** Registers the PlanStore contract under `PlanStore [name]`. */
export function describePlanStoreContract(name: string, harness: StoreHarness): void {
  describe(`PlanStore [${name}]`, () => {
    const plan = (overrides: Partial<ReusablePlan> & Pick<ReusablePlan, 'orgId'>): ReusablePlan => ({
      id: uniqueId('plan'),
      agentId: 'agent_1',
      signature: 'report:weekly',
      goalText: 'write the weekly report',
      embedding: null,
      steps: [{ tool: 'fs_read', args: { path: 'notes.md' } }],
      successes: 1,
      failures: 0,
      createdAt: 1_000,
      updatedAt: 1_000,
      ...overrides,
    });

    it('finds the best plan for a signature, else the most similar above the threshold', async () => {
      const { plans } = harness.stores();
      const orgId = await newOrg(harness);
      await plans.save(plan({ orgId, successes: 1, failures: 3 }));
      const best = await plans.save(plan({ orgId, successes: 5, failures: 0 }));
      const similar = await plans.save(plan({ orgId, signature: 'other', embedding: axisVector(9, 0.2) }));
      await plans.save(plan({ orgId, signature: 'far', embedding: axisVector(30) }));
      const exact = await plans.find({
        orgId,
        agentId: 'agent_1',
        signature: 'report:weekly',
        embedding: null,
        minSimilarity: 0.9,
      });
      expect(exact).toMatchObject({ plan: { id: best.id, steps: best.steps }, similarity: 1 });
      const near = await plans.find({
        orgId,
        agentId: 'agent_1',
        signature: 'report:daily',
        embedding: axisVector(9),
        minSimilarity: 0.9,
      });
      expect(near?.plan.id).toBe(similar.id);
      expect(near?.similarity).toBeCloseTo(1 / Math.sqrt(1.04), 4);
      expect(
        await plans.find({
          orgId,
          agentId: 'agent_1',
          signature: 'x',
          embedding: axisVector(60),
          minSimilarity: 0.5,
        }),
      ).toBeUndefined();
      expect(
        await plans.find({
          orgId,
          agentId: 'agent_2',
          signature: 'report:weekly',
          embedding: null,
          minSimilarity: 0,
        }),
      ).toBeUndefined();
    });

    it('counts each run once per plan and lists plans', async () => {
      const { plans } = harness.stores();
      const orgId = await newOrg(harness);
      const saved = await plans.save(plan({ orgId, successes: 0, failures: 0 }));
      const outcome = { orgId, planId: saved.id, runId: uniqueId('run'), success: true, now: 2_000 };
      expect(await plans.recordRun(outcome)).toBe(true);
      // A reflection repeated after a crash counts nothing twice, whatever it says the second time.
      expect(await plans.recordRun({ ...outcome, success: false, now: 2_500 })).toBe(false);
      expect(await plans.recordRun({ ...outcome, runId: uniqueId('run'), success: false, now: 3_000 })).toBe(
        true,
      );
      const [listed] = await plans.list(orgId, 'agent_1');
      expect(listed).toMatchObject({
        id: saved.id,
        successes: 1,
        failures: 1,
        updatedAt: 3_000,
        createdAt: 1_000,
      });
      expect(await plans.list(orgId, 'agent_2')).toEqual([]);
      const resaved = await plans.save({ ...saved, goalText: 'changed', updatedAt: 4_000 });
      expect(resaved.goalText).toBe('changed');
      expect(await plans.list(orgId)).toHaveLength(1);
      expect(await plans.recordRun({ ...outcome, planId: uniqueId('plan'), runId: uniqueId('run') })).toBe(
        false,
      );
      expect(await plans.list(orgId)).toHaveLength(1);
    });

    it('counts a run once when it is recorded concurrently', async () => {
      const { plans } = harness.stores();
      const orgId = await newOrg(harness);
      const saved = await plans.save(plan({ orgId, successes: 2, failures: 1 }));
      const outcome = { orgId, planId: saved.id, runId: uniqueId('run'), success: false, now: 2_000 };
      const results = await Promise.all([1, 2, 3].map(() => plans.recordRun(outcome)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await plans.list(orgId))[0]).toMatchObject({ successes: 2, failures: 2 });
    });

    it('creates the plan it is given when absent, once, whatever the concurrency', async () => {
      const { plans } = harness.stores();
      const orgId = await newOrg(harness);
      const planId = uniqueId('plan');
      const given = {
        agentId: 'agent_1',
        signature: 'report:monthly',
        goalText: 'write the monthly report',
        embedding: null,
        steps: [{ tool: 'fs_write', args: { path: 'report.md' } }],
      };
      const first = { orgId, planId, runId: uniqueId('run'), success: true, now: 2_000, plan: given };
      const results = await Promise.all([
        plans.recordRun(first),
        plans.recordRun(first),
        plans.recordRun({ ...first, runId: uniqueId('run'), success: false }),
      ]);
      expect([...results].sort()).toEqual([false, true, true]);
      expect(await plans.list(orgId)).toEqual([
        {
          ...given,
          id: planId,
          orgId,
          successes: 1,
          failures: 1,
          createdAt: 2_000,
          updatedAt: 2_000,
        },
      ]);
      const found = await plans.find({ ...given, orgId, minSimilarity: 1 });
      expect(found?.plan.id).toBe(planId);
    });

    it("refuses another organization's plan: not found, not listed, never counted", async () => {
      const { plans } = harness.stores();
      const orgId = await newOrg(harness);
      const stranger = await newOrg(harness);
      const saved = await plans.save(plan({ orgId, successes: 1, failures: 0 }));
      const query = { agentId: 'agent_1', signature: saved.signature, embedding: null, minSimilarity: 0 };
      expect(await plans.find({ ...query, orgId: stranger })).toBeUndefined();
      expect(await plans.list(stranger)).toEqual([]);
      const runId = uniqueId('run');
      const foreign = { orgId: stranger, planId: saved.id, runId, success: false, now: 2_000 };
      expect(await plans.recordRun(foreign)).toBe(false);
      expect(
        await plans.recordRun({
          ...foreign,
          plan: { agentId: 'agent_1', signature: 'x', goalText: 'x', embedding: null, steps: [] },
        }),
      ).toBe(false);
      expect(await plans.list(stranger)).toEqual([]);
      expect(await plans.list(orgId)).toEqual([saved]);
      // The refused calls left no trace: the owner still counts that run.
      expect(await plans.recordRun({ ...foreign, orgId })).toBe(true);
      expect((await plans.list(orgId))[0]).toMatchObject({ successes: 1, failures: 1 });
    });
  });
}
