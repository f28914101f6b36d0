/** The MemoryStore contract. */
import type { Memory, RecallQuery } from '@autonoma/core';
import { describe, expect, it } from 'vitest';
import { uniqueId, type GetStores } from './fixtures.ts';

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
export function describeMemoryStoreContract(name: string, getStores: GetStores): void {
  describe(`MemoryStore [${name}]`, () => {
    it('writes, reads, lists with a cursor and deletes within an organization', async () => {
      const { memories } = getStores();
      const orgId = uniqueId('org');
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
      const { memories } = getStores();
      const orgId = uniqueId('org');
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
      const { memories } = getStores();
      const orgId = uniqueId('org');
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
      const { memories } = getStores();
      const orgId = uniqueId('org');
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
      const otherOrg = uniqueId('org');
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

    it('filters by kind, honours the limit and records access', async () => {
      const { memories } = getStores();
      const orgId = uniqueId('org');
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
      const { memories } = getStores();
      const orgId = uniqueId('org');
      const fresh = await memories.write(memory({ orgId, importance: 0.8, lastAccessedAt: 9_000 }));
      const stale = await memories.write(memory({ orgId, importance: 0.8, lastAccessedAt: 1_000 }));
      const faint = await memories.write(memory({ orgId, importance: 0.1, lastAccessedAt: 1_000 }));
      const result = await memories.decay(orgId, 5_000, 0.5, 0.1);
      expect(result).toEqual({ decayed: 2, deleted: 1 });
      expect((await memories.get(orgId, fresh.id))?.importance).toBeCloseTo(0.8, 5);
      expect((await memories.get(orgId, stale.id))?.importance).toBeCloseTo(0.4, 5);
      expect(await memories.get(orgId, faint.id)).toBeUndefined();
    });
  });
}
