/** The MemoryStore contract. */
import type { Memory, RecallQuery } from '@autonoma/core';
import { recallScore } from '@autonoma/core';
import { describe, expect, it } from 'vitest';
import { newOrg, uniqueId, type StoreHarness } from './fixtures.ts';

const dimension = 256;
const hour = 3_600_000;

/** A unit vector pointing mostly along `axis`. */
export const axisVector = (axis: number, tilt = 0): number[] =>
  Array.from({ length: dimension }, (_, index) => (index === axis ? 1 : index === axis + 1 ? tilt : 0));

const memory = (overrides: Partial<Memory> & Pick<Memory, 'orgId'>): Memory => ({
  id: uniqueId('mem'),
  agentId: 'agent_1',
  kind: 'fact',
  text: 'a fact',
  importance: 0.5,
  embedding: null,
  runId: null,
  metadata: {},
  createdAt: 1_000,
  lastAccessedAt: 1_000,
  accessCount: 0,
  ...overrides,
});

const query = (overrides: Partial<RecallQuery> & Pick<RecallQuery, 'orgId'>): RecallQuery => ({
  agentId: 'agent_1',
  text: '',
  embedding: null,
  limit: 5,
  now: 1_000,
  weights: { relevance: 1, recency: 0, importance: 0 },
  halfLifeMs: hour,
  ...overrides,
});

/** Registers the MemoryStore contract under `MemoryStore [name]`. */
export function describeMemoryStoreContract(name: string, harness: StoreHarness): void {
  describe(`MemoryStore [${name}]`, () => {
    it('writes, reads, lists with a cursor and deletes within an organization', async () => {
      const { memories } = harness.stores();
      const orgId = await newOrg(harness);
      const written: Memory[] = [];
      for (let index = 0; index < 4; index += 1) {
        written.push(
          await memories.write(
            memory({
              orgId,
              createdAt: 1_000 + index,
              kind: index % 2 === 0 ? 'fact' : 'episode',
              metadata: { index },
              embedding: index === 0 ? [0.5, 0.25, 0] : null,
              runId: index === 1 ? 'run_1' : null,
            }),
          ),
        );
      }
      expect(written[0]).toMatchObject({ embedding: [0.5, 0.25, 0], metadata: { index: 0 }, accessCount: 0 });
      expect(await memories.get(orgId, written[1]?.id ?? '')).toEqual(written[1]);
      expect(await memories.get(uniqueId('org'), written[1]?.id ?? '')).toBeUndefined();
      const newest = await memories.list({ orgId, limit: 2 });
      expect(newest.map((item) => item.id)).toEqual([written[3]?.id, written[2]?.id]);
      const older = await memories.list({ orgId, before: written[2]?.id });
      expect(older.map((item) => item.id)).toEqual([written[1]?.id, written[0]?.id]);
      expect((await memories.list({ orgId, kind: 'episode' })).map((item) => item.id)).toEqual([
        written[3]?.id,
        written[1]?.id,
      ]);
      expect(await memories.delete(uniqueId('org'), written[0]?.id ?? '')).toBe(false);
      expect(await memories.delete(orgId, written[0]?.id ?? '')).toBe(true);
      expect(await memories.get(orgId, written[0]?.id ?? '')).toBeUndefined();
    });

    it('ranks by embedding cosine when both sides have embeddings', async () => {
      const { memories } = harness.stores();
      const orgId = await newOrg(harness);
      const near = await memories.write(memory({ orgId, text: 'alpha', embedding: axisVector(3, 0.1) }));
      const far = await memories.write(memory({ orgId, text: 'beta', embedding: axisVector(40) }));
      const middle = await memories.write(memory({ orgId, text: 'gamma', embedding: axisVector(3, 1) }));
      await memories.write(memory({ orgId, agentId: 'another', text: 'alpha', embedding: axisVector(3) }));
      const recalled = await memories.recall(query({ orgId, text: 'anything', embedding: axisVector(3) }));
      expect(recalled.map((item) => item.memory.id)).toEqual([near.id, middle.id, far.id]);
      expect(recalled[0]?.relevance).toBeCloseTo(1 / Math.sqrt(1.01), 4);
      expect(recalled[1]?.relevance).toBeCloseTo(1 / Math.sqrt(2), 4);
      expect(recalled[2]?.relevance).toBeCloseTo(0, 6);
      expect(recalled[0]?.score).toBeCloseTo(recalled[0]?.relevance ?? -1, 6);
    });

    it('falls back to full text when the query has no embedding', async () => {
      const { memories } = harness.stores();
      const orgId = await newOrg(harness);
      const match = await memories.write(
        memory({ orgId, text: 'The deploy failed because the database was down' }),
      );
      const other = await memories.write(memory({ orgId, text: 'Lunch options near the office' }));
      const withVector = await memories.write(
        memory({ orgId, text: 'database migrations need a lock', embedding: axisVector(7) }),
      );
      const recalled = await memories.recall(query({ orgId, text: 'why did the database deploy fail?' }));
      const ids = recalled.map((item) => item.memory.id);
      expect(ids[0]).toBe(match.id);
      expect(ids.indexOf(withVector.id)).toBeLessThan(ids.indexOf(other.id));
      expect(recalled.find((item) => item.memory.id === other.id)?.relevance).toBe(0);
      expect(recalled[0]?.relevance).toBeGreaterThan(0);
      expect(recalled[0]?.relevance).toBeLessThanOrEqual(1);
    });

    it('combines relevance, recency and importance with the given weights', async () => {
      const { memories } = harness.stores();
      const orgId = await newOrg(harness);
      const now = 10 * hour;
      const recent = await memories.write(memory({ orgId, importance: 0.1, lastAccessedAt: now }));
      const old = await memories.write(memory({ orgId, importance: 0.9, lastAccessedAt: now - 2 * hour }));
      const byRecency = await memories.recall(
        query({ orgId, now, weights: { relevance: 0, recency: 1, importance: 0 } }),
      );
      expect(byRecency.map((item) => item.memory.id)).toEqual([recent.id, old.id]);
      expect(byRecency[0]?.recency).toBeCloseTo(1, 6);
      expect(byRecency[1]?.recency).toBeCloseTo(0.25, 6);
      // Recall records access, so score the importance ranking on fresh memories.
      const otherOrg = await newOrg(harness);
      const faint = await memories.write(memory({ orgId: otherOrg, importance: 0.1, lastAccessedAt: now }));
      const vivid = await memories.write(
        memory({ orgId: otherOrg, importance: 0.9, lastAccessedAt: now - 2 * hour }),
      );
      const byImportance = await memories.recall(
        query({ orgId: otherOrg, now, weights: { relevance: 0, recency: 0.2, importance: 1 } }),
      );
      expect(byImportance.map((item) => item.memory.id)).toEqual([vivid.id, faint.id]);
      expect(byImportance[0]?.importance).toBeCloseTo(0.9, 5);
      expect(byImportance[0]?.score).toBeCloseTo(0.2 * 0.5 ** 2 + 0.9, 5);
    });

    it("scores exactly as core's recallScore for the same inputs", async () => {
      const { memories } = harness.stores();
      const orgId = await newOrg(harness);
      const halfLifeMs = 3 * hour;
      const now = 10_000 * halfLifeMs;
      const weights = { relevance: 0.55, recency: 0.3, importance: 0.45 };
      const written = [
        // Cosine relevance, an hour old.
        memory({ orgId, importance: 0.25, lastAccessedAt: now - hour, embedding: axisVector(3, 0.5) }),
        // Negative cosine, clamped to 0.
        memory({
          orgId,
          importance: 0.8,
          lastAccessedAt: now - 7 * hour,
          embedding: axisVector(3).map((x) => -x),
        }),
        // Full-text relevance (no embedding), touched in the future (age 0).
        memory({ orgId, text: 'database deploy notes', importance: 1, lastAccessedAt: now + hour }),
        // Older than the recency exponent cap of 1000 half-lives.
        memory({ orgId, text: 'unrelated', importance: 0, lastAccessedAt: now - 2_000 * halfLifeMs }),
        memory({ orgId, text: 'deploy', importance: 0.6, lastAccessedAt: now - 40 * hour }),
      ];
      for (const item of written) await memories.write(item);
      const recalled = await memories.recall(
        query({
          orgId,
          text: 'deploy the database',
          embedding: axisVector(3),
          now,
          weights,
          halfLifeMs,
          limit: 10,
        }),
      );
      expect(recalled.map((item) => item.memory.id).sort()).toEqual(written.map((item) => item.id).sort());
      for (const item of recalled) {
        const before = written.find((entry) => entry.id === item.memory.id);
        if (before === undefined) throw new Error(`recalled an unknown memory ${item.memory.id}`);
        const expected = recallScore(
          { relevance: item.relevance, ageMs: now - before.lastAccessedAt, importance: before.importance },
          { weights, halfLifeMs },
        );
        expect(item.relevance).toBeGreaterThanOrEqual(0);
        expect(item.relevance).toBeLessThanOrEqual(1);
        expect(item.recency, item.memory.text).toBeCloseTo(expected.recency, 12);
        expect(item.importance, item.memory.text).toBeCloseTo(expected.importance, 6);
        expect(item.score, item.memory.text).toBeCloseTo(expected.score, 6);
      }
      expect(recalled.find((item) => item.memory.id === written[1]?.id)?.relevance).toBe(0);
      expect(recalled.find((item) => item.memory.id === written[2]?.id)?.recency).toBe(1);
    });

    it('filters by kind, honours the limit and records access', async () => {
      const { memories } = harness.stores();
      const orgId = await newOrg(harness);
      for (let index = 0; index < 6; index += 1) {
        await memories.write(
          memory({ orgId, kind: index < 4 ? 'lesson' : 'episode', importance: index / 10 }),
        );
      }
      const recalled = await memories.recall(
        query({
          orgId,
          kinds: ['lesson'],
          limit: 3,
          now: 50_000,
          weights: { relevance: 0, recency: 0, importance: 1 },
        }),
      );
      expect(recalled).toHaveLength(3);
      expect(recalled.every((item) => item.memory.kind === 'lesson')).toBe(true);
      expect(recalled.map((item) => item.importance)).toEqual(
        [...recalled.map((item) => item.importance)].sort((a, b) => b - a),
      );
      expect(recalled[0]?.memory).toMatchObject({ lastAccessedAt: 50_000, accessCount: 1 });
      const stored = await memories.get(orgId, recalled[0]?.memory.id ?? '');
      expect(stored).toMatchObject({ lastAccessedAt: 50_000, accessCount: 1 });
      const untouched = (await memories.list({ orgId, kind: 'episode' }))[0];
      expect(untouched).toMatchObject({ lastAccessedAt: 1_000, accessCount: 0 });
    });

    it('decays importance of stale memories and deletes those below the floor', async () => {
      const { memories } = harness.stores();
      const orgId = await newOrg(harness);
      const fresh = await memories.write(memory({ orgId, importance: 0.8, lastAccessedAt: 9_000 }));
      const stale = await memories.write(memory({ orgId, importance: 0.8, lastAccessedAt: 1_000 }));
      const faint = await memories.write(memory({ orgId, importance: 0.1, lastAccessedAt: 1_000 }));
      const result = await memories.decay(orgId, 5_000, 0.5, 0.1);
      expect(result).toEqual({ decayed: 2, deleted: 1 });
      expect((await memories.get(orgId, fresh.id))?.importance).toBeCloseTo(0.8, 5);
      expect((await memories.get(orgId, stale.id))?.importance).toBeCloseTo(0.4, 5);
      expect(await memories.get(orgId, faint.id)).toBeUndefined();
    });

    it("never recalls, lists, decays or deletes another organization's memories", async () => {
      const { memories } = harness.stores();
      const orgId = await newOrg(harness);
      const stranger = await newOrg(harness);
      const kept = await memories.write(
        memory({
          orgId,
          text: 'the database password rotates monthly',
          embedding: axisVector(5),
          importance: 0.2,
        }),
      );
      const recallAs = (who: string) =>
        memories.recall(
          query({ orgId: who, text: 'database password', embedding: axisVector(5), now: 9_000 }),
        );
      expect(await recallAs(stranger)).toEqual([]);
      expect(
        await memories.recall(query({ orgId: stranger, text: 'database password', now: 9_000 })),
      ).toEqual([]);
      expect(await memories.list({ orgId: stranger })).toEqual([]);
      expect(await memories.list({ orgId: stranger, agentId: 'agent_1', before: kept.id })).toEqual([]);
      expect(await memories.get(stranger, kept.id)).toBeUndefined();
      expect(await memories.delete(stranger, kept.id)).toBe(false);
      expect(await memories.decay(stranger, 5_000, 0.1, 0.5)).toEqual({ decayed: 0, deleted: 0 });
      // Untouched: not even its access was recorded by the other organization's recall.
      expect(await memories.get(orgId, kept.id)).toEqual(kept);
      expect((await recallAs(orgId)).map((item) => item.memory.id)).toEqual([kept.id]);
    });
  });
}
