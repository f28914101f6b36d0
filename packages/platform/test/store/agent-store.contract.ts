/** The AgentStore contract. */
import { AgentSpec } from '@autonoma/core';
import { describe, expect, it } from 'vitest';
import { newOrg, uniqueId, type StoreHarness } from './fixtures.ts';

/** Registers the AgentStore contract under `AgentStore [name]`. */
export function describeAgentStoreContract(name: string, harness: StoreHarness): void {
  describe(`AgentStore [${name}]`, () => {
    it('upserts by name within an organization, keeping the first id', async () => {
      const { agents } = harness.stores();
      const orgId = await newOrg(harness);
      const spec = AgentSpec.parse({ name: 'researcher', instructions: 'be brief', tools: ['fs_read'] });
      const created = await agents.upsert(orgId, spec, { id: uniqueId('agent'), now: 10 });
      expect(created).toMatchObject({ orgId, name: 'researcher', instructions: 'be brief', createdAt: 10 });
      const updated = await agents.upsert(
        orgId,
        { ...spec, instructions: 'be thorough' },
        { id: uniqueId('agent'), now: 20 },
      );
      expect(updated).toMatchObject({
        id: created.id,
        instructions: 'be thorough',
        createdAt: 10,
        updatedAt: 20,
      });
      expect(await agents.get(orgId, 'researcher')).toEqual(updated);
      expect(await agents.get(orgId, created.id)).toEqual(updated);
      expect(await agents.get(uniqueId('org'), created.id)).toBeUndefined();
      const other = await agents.upsert(await newOrg(harness), spec, { id: uniqueId('agent'), now: 30 });
      expect(other.id).not.toBe(created.id);
    });

    it('lists by name and deletes by id or name', async () => {
      const { agents } = harness.stores();
      const orgId = await newOrg(harness);
      for (const agentName of ['zeta', 'alpha', 'mid']) {
        await agents.upsert(orgId, AgentSpec.parse({ name: agentName }), { id: uniqueId('agent'), now: 1 });
      }
      expect((await agents.list(orgId)).map((agent) => agent.name)).toEqual(['alpha', 'mid', 'zeta']);
      expect(await agents.delete(orgId, 'mid')).toBe(true);
      expect(await agents.delete(orgId, 'mid')).toBe(false);
      const alpha = await agents.get(orgId, 'alpha');
      expect(await agents.delete(uniqueId('org'), alpha?.id ?? '')).toBe(false);
      expect(await agents.delete(orgId, alpha?.id ?? '')).toBe(true);
      expect((await agents.list(orgId)).map((agent) => agent.name)).toEqual(['zeta']);
    });

    it("answers another organization's agents as absent and never deletes them", async () => {
      const { agents } = harness.stores();
      const orgId = await newOrg(harness);
      const stranger = await newOrg(harness);
      const agent = await agents.upsert(orgId, AgentSpec.parse({ name: 'writer' }), {
        id: uniqueId('agent'),
        now: 1,
      });
      const theirs = await agents.upsert(
        stranger,
        AgentSpec.parse({ name: 'writer', instructions: 'mine' }),
        {
          id: uniqueId('agent'),
          now: 2,
        },
      );
      expect(theirs.id).not.toBe(agent.id);
      expect(await agents.list(stranger)).toEqual([theirs]);
      expect(await agents.get(stranger, agent.id)).toBeUndefined();
      expect(await agents.get(stranger, 'writer')).toEqual(theirs);
      expect(await agents.delete(stranger, agent.id)).toBe(false);
      expect(await agents.list(orgId)).toEqual([agent]);
      expect(await agents.delete(stranger, 'writer')).toBe(true);
      expect(await agents.get(orgId, 'writer')).toEqual(agent);
    });
  });
}
