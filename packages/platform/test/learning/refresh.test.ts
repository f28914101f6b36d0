import type { Memory } from '@autonoma/core';
import { embedText } from '@autonoma/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshLearning } from '../../src/learning/refresh.ts';
import type { Database } from '../../src/store/database.ts';
import { createDatabase } from '../../src/store/database.ts';

const day = 24 * 60 * 60 * 1000;
const now = 1_800_000_000_000;
let database: Database;

beforeAll(async () => {
  database = await createDatabase({ kind: 'pglite' });
  await database.stores.organizations.ensure({ id: 'org_1', name: 'org 1', createdAt: 0 });
});
afterAll(() => database.close());

const memory = (id: string, text: string, overrides: Partial<Memory> = {}): Memory => ({
  id,
  orgId: 'org_1',
  agentId: 'agent_1',
  kind: 'lesson',
  text,
  importance: 0.5,
  embedding: embedText(text),
  runId: null,
  metadata: {},
  createdAt: now - day,
  lastAccessedAt: now - day,
  accessCount: 1,
  ...overrides,
});

describe('learning refresh', () => {
  it('merges near-duplicates into the most important one, decays stale memories and reports statistics', async () => {
    const lesson =
      'tool summarize_csv_fast failed 1 of 1 times on goals like audit; prefer summarize_dataset';
    const { memories, stats } = database.stores;
    await memories.write(memory('mem_a', lesson, { importance: 0.6, accessCount: 2 }));
    await memories.write(memory('mem_b', lesson, { importance: 0.9, accessCount: 3 }));
    await memories.write(memory('mem_c', `${lesson}.`, { importance: 0.4 }));
    // Same text, other kind and other agent: never merged with the lessons above.
    await memories.write(memory('mem_fact', lesson, { kind: 'fact' }));
    await memories.write(memory('mem_other_agent', lesson, { agentId: 'agent_2' }));
    await memories.write(memory('mem_distinct', 'the weekly sales report goes to the finance channel'));
    await memories.write(
      memory('mem_stale', 'an old fact nobody recalled', {
        kind: 'fact',
        importance: 0.5,
        lastAccessedAt: now - 90 * day,
      }),
    );
    await memories.write(
      memory('mem_faded', 'a faint old fact', {
        kind: 'fact',
        importance: 0.05,
        lastAccessedAt: now - 90 * day,
      }),
    );
    await stats.record({
      orgId: 'org_1',
      agentId: 'agent_1',
      signature: 'facts:x',
      action: 'summarize_dataset',
      success: true,
      reward: 1,
      costUsd: 0,
      latencyMs: 5,
      now,
    });

    const report = await refreshLearning(database.stores, { orgId: 'org_1', now });

    expect(report.merged).toEqual({ groups: 1, deleted: 2 });
    expect(report).toMatchObject({ memoriesBefore: 8, memoriesAfter: 5, decayed: 1, deletedByDecay: 1 });
    expect(report.stats).toEqual([
      expect.objectContaining({
        agentId: 'agent_1',
        trials: 1,
        successes: 1,
        top: [expect.objectContaining({ action: 'summarize_dataset', successRate: 1 })],
      }),
    ]);
    const left = (await memories.list({ orgId: 'org_1', limit: 50 })).map((item) => item.id).sort();
    expect(left).toEqual(['mem_b', 'mem_distinct', 'mem_fact', 'mem_other_agent', 'mem_stale']);
    const kept = await memories.get('org_1', 'mem_b');
    expect(kept).toMatchObject({ importance: 0.9, accessCount: 6, metadata: { merged: 2 } });
    expect((await memories.get('org_1', 'mem_stale'))?.importance).toBeCloseTo(0.4);

    const again = await refreshLearning(database.stores, { orgId: 'org_1', now });
    expect(again.merged).toEqual({ groups: 0, deleted: 0 });
  });
});
