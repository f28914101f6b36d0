/**
 * A conversation (ARCHITECTURE §3): a thread of user messages with one agent. Each message is a
 * *turn*, answered by one run; a turn's run starts only once the previous turn's run has ended, so
 * turns never interleave. The turn's run id is fixed when the message is accepted (derived from the
 * conversation and the turn number), so starting it is idempotent and any process may do it.
 */
export interface Conversation {
  id: string;
  orgId: string;
  /** The id of the agent every turn runs. */
  agentId: string;
  title: string;
  /** Number of turns (user messages) so far. */
  turns: number;
  /** Number of turns whose run was started (turns are started in order, one after another ends). */
  started: number;
  createdAt: number;
  updatedAt: number;
}

/** One user message and the run that answers it. */
export interface ConversationTurn {
  conversationId: string;
  /** 1-based, in the order the messages were accepted. */
  seq: number;
  message: string;
  /** The run that answers it: its id from the start, its row once the turn started. */
  runId: string;
  createdAt: number;
}

/**
 * The id of the run answering turn `seq` of a conversation (`conv_X` → `run_Xt<seq>`): fixed when the
 * message is accepted, so whichever process starts the turn creates the same run, once.
 */
export const turnRunId = (conversationId: string, seq: number): string =>
  `run_${conversationId.replace(/^conv_/, '')}t${seq}`;

/** Input to create a conversation. */
export interface NewConversation {
  id: string;
  orgId: string;
  agentId: string;
  title: string;
  now: number;
}

/** Conversations and their turns. Every read and write names the organization. */
export interface ConversationStore {
  create(conversation: NewConversation): Promise<Conversation>;
  get(orgId: string, id: string): Promise<Conversation | undefined>;
  /** Newest activity first; `before` is a cursor (a conversation id). */
  list(query: { orgId: string; limit?: number; before?: string }): Promise<Conversation[]>;
  /**
   * Appends a user message as the next turn, in one transaction with the conversation's turn count;
   * its run is named {@link turnRunId}. Undefined when the conversation does not exist.
   */
  appendTurn(
    orgId: string,
    conversationId: string,
    turn: { message: string; now: number },
  ): Promise<ConversationTurn | undefined>;
  /** Turns in order, after `afterSeq`, at most `limit`. */
  turns(
    orgId: string,
    conversationId: string,
    query?: { afterSeq?: number; limit?: number },
  ): Promise<ConversationTurn[]>;
  /**
   * Records that turn `seq` started (its run exists), compare-and-set on the previous turn being the
   * last started; false when another process recorded it first.
   */
  markStarted(orgId: string, id: string, seq: number, now: number): Promise<boolean>;
  /** Conversations with turns not started yet, least recently active first, across organizations unless one is named. */
  withPendingTurns(query: { orgId?: string; limit: number }): Promise<Conversation[]>;
  /** Deletes a conversation and its turns (not their runs); false when it was not there. */
  delete(orgId: string, id: string): Promise<boolean>;
}
