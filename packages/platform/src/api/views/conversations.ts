/** How conversations and their messages look through the API and in the CLI's chat. */
import type { Conversation, ConversationTurn } from '@autonoma/core';
import { RunStatus, maxGoalLength } from '@autonoma/core';
import { z } from 'zod';
import type { ConversationMessage, SentMessage } from '../../services/conversation-service.ts';
import { RunView, toRunView } from './runs.ts';

const time = z.number().describe('milliseconds since the epoch, UTC');

/** A conversation: a thread of turns with one agent. */
export const ConversationView = z
  .object({
    id: z.string(),
    agentId: z.string().describe('the agent every turn runs'),
    title: z.string(),
    turns: z.number().int().describe('user messages so far'),
    started: z.number().int().describe('turns whose run was started (the rest wait behind it)'),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ id: 'Conversation' });
/** A conversation as clients see it. */
export type ConversationView = z.infer<typeof ConversationView>;

/** One message: a user's, or the answer (or state) of the run of that turn. */
export const MessageView = z
  .discriminatedUnion('role', [
    z.object({
      role: z.literal('user'),
      seq: z.number().int().describe('the turn'),
      text: z.string(),
      at: time,
      runId: z.string().describe('the run answering it'),
    }),
    z.object({
      role: z.literal('agent'),
      seq: z.number().int().describe('the turn'),
      text: z.string().nullable().describe("the run's answer; null while it runs, or when it ended without"),
      runId: z.string(),
      status: z
        .union([RunStatus, z.literal('pending')])
        .describe("the run's state; `pending` while the turn waits behind the previous one"),
      reason: z.string().nullable(),
      at: time.nullable().describe('when the run ended'),
    }),
  ])
  .meta({ id: 'ConversationMessage' });
/** A message as clients see it. */
export type MessageView = z.infer<typeof MessageView>;

/** A conversation with its messages, in order. */
export const ConversationDetail = ConversationView.extend({
  messages: z.array(MessageView).describe('each user message, then its run’s answer'),
}).meta({ id: 'ConversationDetail' });
/** A conversation with its messages. */
export type ConversationDetail = z.infer<typeof ConversationDetail>;

/** A turn: one user message and the run answering it. */
export const TurnView = z
  .object({
    seq: z.number().int(),
    message: z.string(),
    runId: z.string().describe('fixed when the message is accepted; the run exists once the turn starts'),
    createdAt: time,
  })
  .meta({ id: 'ConversationTurn' });
/** A turn as clients see it. */
export type TurnView = z.infer<typeof TurnView>;

/** What sending a message did. */
export const SentMessageView = z
  .object({
    turn: TurnView,
    run: RunView.nullable().describe('the run it started; null while it waits behind the previous turn'),
  })
  .meta({ id: 'SentMessage' });
/** A sent message as clients see it. */
export type SentMessageView = z.infer<typeof SentMessageView>;

/** `POST /v1/conversations`. */
export const CreateConversationBody = z.strictObject({
  agent: z.string().min(1).max(200).optional().describe('agent name or id (default: the default agent)'),
  title: z.string().max(200).optional(),
});

/** `POST /v1/conversations/:id/messages`. */
export const MessageBody = z.strictObject({
  text: z.string().min(1).max(maxGoalLength).describe('the message; it becomes the goal of its turn’s run'),
});

/** The client view of a conversation. */
export const toConversationView = (conversation: Conversation): ConversationView =>
  ConversationView.parse({
    id: conversation.id,
    agentId: conversation.agentId,
    title: conversation.title,
    turns: conversation.turns,
    started: conversation.started,
    createdAt: conversation.createdAt,
    updatedAt: conversation.updatedAt,
  });

/** The client view of a conversation and its messages. */
export const toConversationDetail = (
  conversation: Conversation,
  messages: readonly ConversationMessage[],
): ConversationDetail => ({
  ...toConversationView(conversation),
  messages: messages.map((message) => MessageView.parse(message)),
});

const toTurnView = (turn: ConversationTurn): TurnView => ({
  seq: turn.seq,
  message: turn.message,
  runId: turn.runId,
  createdAt: turn.createdAt,
});

/** The client view of a sent message. */
export const toSentMessageView = (sent: SentMessage): SentMessageView => ({
  turn: toTurnView(sent.turn),
  run: sent.run ? toRunView(sent.run) : null,
});
