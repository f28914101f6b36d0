/** The ConversationStore contract: org scoping, gap-free turns with fixed run ids, the started count. */
import { turnRunId } from '@autonoma/core';
import { describe, expect, it } from 'vitest';
import { newOrg, uniqueId, type StoreHarness } from './fixtures.ts';

/** Registers the ConversationStore contract under `ConversationStore [name]`. */
export function describeConversationStoreContract(name: string, harness: StoreHarness): void {
  const create = async (orgId: string, now = 1_000) =>
    harness.stores().conversations.create({
      id: uniqueId('conv'),
      orgId,
      agentId: 'agent_1',
      title: 'a thread',
      now,
    });

  describe(`ConversationStore [${name}]`, () => {
    it('creates, reads and lists conversations of one organization only', async () => {
      const { conversations } = harness.stores();
      const orgId = await newOrg(harness);
      const other = await newOrg(harness);
      const first = await create(orgId, 1_000);
      const second = await create(orgId, 2_000);
      await create(other);
      expect(first).toMatchObject({ orgId, agentId: 'agent_1', title: 'a thread', turns: 0, started: 0 });
      expect(await conversations.get(orgId, first.id)).toEqual(first);
      expect(await conversations.get(other, first.id)).toBeUndefined();
      expect((await conversations.list({ orgId })).map((item) => item.id)).toEqual([second.id, first.id]);
      expect((await conversations.list({ orgId, before: second.id })).map((item) => item.id)).toEqual([
        first.id,
      ]);
    });

    it('numbers turns without gaps, even sent at once, each with its fixed run id', async () => {
      const { conversations } = harness.stores();
      const orgId = await newOrg(harness);
      const conversation = await create(orgId);
      const sent = await Promise.all(
        Array.from({ length: 8 }, (_, index) =>
          conversations.appendTurn(orgId, conversation.id, {
            message: `message ${index}`,
            now: 2_000 + index,
          }),
        ),
      );
      expect(sent.map((turn) => turn?.seq).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8,
      ]);
      const turns = await conversations.turns(orgId, conversation.id);
      expect(turns.map((turn) => turn.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      for (const turn of turns) expect(turn.runId).toBe(turnRunId(conversation.id, turn.seq));
      expect(
        (await conversations.turns(orgId, conversation.id, { afterSeq: 6 })).map((turn) => turn.seq),
      ).toEqual([7, 8]);
      expect(await conversations.get(orgId, conversation.id)).toMatchObject({ turns: 8, updatedAt: 2_007 });
      expect(
        await conversations.appendTurn(await newOrg(harness), conversation.id, { message: 'x', now: 1 }),
      ).toBeUndefined();
      expect(await conversations.turns(await newOrg(harness), conversation.id)).toEqual([]);
    });

    it('records started turns in order, once each, and finds conversations with turns waiting', async () => {
      const { conversations } = harness.stores();
      const orgId = await newOrg(harness);
      const conversation = await create(orgId);
      await conversations.appendTurn(orgId, conversation.id, { message: 'one', now: 2_000 });
      await conversations.appendTurn(orgId, conversation.id, { message: 'two', now: 2_001 });
      expect((await conversations.withPendingTurns({ orgId, limit: 10 })).map((item) => item.id)).toEqual([
        conversation.id,
      ]);
      expect(await conversations.markStarted(orgId, conversation.id, 2, 3_000)).toBe(false);
      expect(await conversations.markStarted(orgId, conversation.id, 1, 3_000)).toBe(true);
      expect(await conversations.markStarted(orgId, conversation.id, 1, 3_000)).toBe(false);
      expect(await conversations.markStarted(orgId, conversation.id, 2, 3_001)).toBe(true);
      expect(await conversations.markStarted(orgId, conversation.id, 3, 3_002)).toBe(false);
      expect(await conversations.get(orgId, conversation.id)).toMatchObject({ turns: 2, started: 2 });
      expect(await conversations.withPendingTurns({ orgId, limit: 10 })).toEqual([]);
    });

    it('deletes a conversation with its turns', async () => {
      const { conversations } = harness.stores();
      const orgId = await newOrg(harness);
      const conversation = await create(orgId);
      await conversations.appendTurn(orgId, conversation.id, { message: 'one', now: 2_000 });
      expect(await conversations.delete(await newOrg(harness), conversation.id)).toBe(false);
      expect(await conversations.delete(orgId, conversation.id)).toBe(true);
      expect(await conversations.get(orgId, conversation.id)).toBeUndefined();
      expect(await conversations.turns(orgId, conversation.id)).toEqual([]);
      expect(await conversations.delete(orgId, conversation.id)).toBe(false);
    });
  });
}
