import type {
  Conversation,
  ConversationStore,
  ConversationTurn,
  NewConversation,
} from '../ports/conversation-store.ts';
import { turnRunId } from '../ports/conversation-store.ts';
import { copy } from './in-memory-run-store.ts';

/** An in-memory {@link ConversationStore}. */
export class InMemoryConversationStore implements ConversationStore {
  readonly #conversations = new Map<string, Conversation>();
  readonly #turns = new Map<string, ConversationTurn[]>();

  #find(orgId: string, id: string): Conversation | undefined {
    const conversation = this.#conversations.get(id);
    return conversation?.orgId === orgId ? conversation : undefined;
  }

  async create(input: NewConversation): Promise<Conversation> {
    if (this.#conversations.has(input.id)) throw new Error(`conversation '${input.id}' already exists`);
    const { now, ...fields } = input;
    const conversation: Conversation = { ...fields, turns: 0, started: 0, createdAt: now, updatedAt: now };
    this.#conversations.set(conversation.id, conversation);
    this.#turns.set(conversation.id, []);
    return copy(conversation);
  }

  async get(orgId: string, id: string): Promise<Conversation | undefined> {
    return copy(this.#find(orgId, id));
  }

  async list(query: { orgId: string; limit?: number; before?: string }): Promise<Conversation[]> {
    const newestFirst = (a: Conversation, b: Conversation): number =>
      b.updatedAt - a.updatedAt || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0);
    const cursor = query.before === undefined ? undefined : this.#find(query.orgId, query.before);
    return [...this.#conversations.values()]
      .filter(
        (conversation) =>
          conversation.orgId === query.orgId &&
          (query.before === undefined || (cursor !== undefined && newestFirst(cursor, conversation) < 0)),
      )
      .sort(newestFirst)
      .slice(0, query.limit ?? 50)
      .map(copy);
  }

  async appendTurn(
    orgId: string,
    conversationId: string,
    turn: { message: string; now: number },
  ): Promise<ConversationTurn | undefined> {
    const conversation = this.#find(orgId, conversationId);
    if (conversation === undefined) return undefined;
    conversation.turns += 1;
    conversation.updatedAt = Math.max(conversation.updatedAt, turn.now);
    const appended: ConversationTurn = {
      conversationId,
      seq: conversation.turns,
      message: turn.message,
      runId: turnRunId(conversationId, conversation.turns),
      createdAt: turn.now,
    };
    this.#turns.get(conversationId)?.push(appended);
    return copy(appended);
  }

  async turns(
    orgId: string,
    conversationId: string,
    query: { afterSeq?: number; limit?: number } = {},
  ): Promise<ConversationTurn[]> {
    if (this.#find(orgId, conversationId) === undefined) return [];
    return (this.#turns.get(conversationId) ?? [])
      .filter((turn) => turn.seq > (query.afterSeq ?? 0))
      .slice(0, query.limit ?? 1000)
      .map(copy);
  }

  async markStarted(orgId: string, id: string, seq: number, now: number): Promise<boolean> {
    const conversation = this.#find(orgId, id);
    if (conversation === undefined || conversation.started !== seq - 1 || seq > conversation.turns)
      return false;
    conversation.started = seq;
    conversation.updatedAt = Math.max(conversation.updatedAt, now);
    return true;
  }

  async withPendingTurns(query: { orgId?: string; limit: number }): Promise<Conversation[]> {
    return [...this.#conversations.values()]
      .filter(
        (conversation) =>
          conversation.started < conversation.turns &&
          (query.orgId === undefined || conversation.orgId === query.orgId),
      )
      .sort((a, b) => a.updatedAt - b.updatedAt)
      .slice(0, query.limit)
      .map(copy);
  }

  async delete(orgId: string, id: string): Promise<boolean> {
    if (this.#find(orgId, id) === undefined) return false;
    this.#conversations.delete(id);
    this.#turns.delete(id);
    return true;
  }
}
