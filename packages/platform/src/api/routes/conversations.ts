/** `/v1/conversations`: threads of messages with one agent; each message starts (or queues) a run. */
import { z } from 'zod';
import { scopeOf } from '../auth.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { cursorQuery, errorResponses, limitQuery, page, pathId } from '../views/common.ts';
import {
  ConversationDetail,
  ConversationView,
  CreateConversationBody,
  MessageBody,
  SentMessageView,
  toConversationDetail,
  toConversationView,
  toSentMessageView,
} from '../views/conversations.ts';
import type { ApiRoutes } from './route-deps.ts';

const tags = ['conversations'];
const ConversationParams = z.strictObject({ id: pathId.describe('conversation id') });

const MessagesQuery = z.strictObject({
  afterSeq: z.coerce.number().int().min(0).optional().describe('only the turns after this one'),
  last: z.coerce.number().int().min(0).max(1000).optional().describe('only the last n turns'),
  limit: limitQuery(100, 1000).describe('most turns (each is two messages: the user’s and the agent’s)'),
});

/** The conversation routes. */
export const conversationRoutes: ApiRoutes = (api, { services, onRunnable }) => {
  const conversations = services.conversations;

  api.post('/conversations', {
    config: { permission: 'conversations:write' },
    schema: {
      tags,
      summary: 'Start a conversation with an agent',
      body: CreateConversationBody,
      response: { 201: ConversationView, ...errorResponses },
    },
    handler: async (request, reply) => {
      const { agent, title } = request.body;
      const conversation = await conversations.create(scopeOf(request), {
        ...(agent === undefined ? {} : { agent }),
        ...(title === undefined ? {} : { title }),
      });
      return reply
        .code(201)
        .header('location', `/v1/conversations/${conversation.id}`)
        .send(toConversationView(conversation));
    },
  });

  api.get('/conversations', {
    config: { permission: 'conversations:read' },
    schema: {
      tags,
      summary: 'List conversations, most recently active first',
      querystring: z.strictObject({ limit: limitQuery(20, 1000), cursor: cursorQuery }),
      response: { 200: page(ConversationView), ...errorResponses },
    },
    handler: async (request) => {
      const { limit, cursor } = request.query;
      const found = await conversations.list(scopeOf(request), {
        limit: limit + 1,
        ...(cursor ? { before: decodeCursor('conversations', cursor, 'string') } : {}),
      });
      const items = found.slice(0, limit);
      const last = items.at(-1);
      return {
        items: items.map(toConversationView),
        nextCursor: found.length > limit && last ? encodeCursor('conversations', last.id) : null,
      };
    },
  });

  api.get('/conversations/:id', {
    config: { permission: 'conversations:read' },
    schema: {
      tags,
      summary: 'Get a conversation with its messages',
      description:
        'Messages in order: each user message (`role: user`), then the answer or state of the run of that ' +
        'turn (`role: agent`; `status: pending` while the turn waits behind the previous one).',
      params: ConversationParams,
      querystring: MessagesQuery,
      response: { 200: ConversationDetail, ...errorResponses },
    },
    handler: async (request) => {
      const scope = scopeOf(request);
      const { id } = request.params;
      const { afterSeq, last, limit } = request.query;
      let after = afterSeq ?? 0;
      if (last !== undefined) after = Math.max(after, (await conversations.get(scope, id)).turns - last);
      const { conversation, messages } = await conversations.messages(scope, id, { afterSeq: after, limit });
      return toConversationDetail(conversation, messages);
    },
  });

  api.post('/conversations/:id/messages', {
    config: { permission: 'conversations:write' },
    schema: {
      tags,
      summary: 'Send a message: the next turn, and the run answering it',
      description:
        'Answers 201 with the turn and the run it started (committed, with its job), whose events stream ' +
        'from `/v1/runs/{runId}/events`. While the previous turn’s run is still going, the message waits ' +
        'behind it and the answer is 202 with `run: null`: the turn’s run (`turn.runId`) starts when that ' +
        'run ends, never interleaved.',
      params: ConversationParams,
      body: MessageBody,
      response: { 201: SentMessageView, 202: SentMessageView, ...errorResponses },
    },
    handler: async (request, reply) => {
      const sent = await conversations.send(scopeOf(request), request.params.id, request.body.text, {
        enqueue: true,
      });
      if (sent.run) onRunnable(sent.run);
      return reply
        .code(sent.run ? 201 : 202)
        .header('location', `/v1/runs/${sent.turn.runId}`)
        .send(toSentMessageView(sent));
    },
  });

  api.delete('/conversations/:id', {
    config: { permission: 'conversations:write' },
    schema: {
      tags,
      summary: 'Delete a conversation',
      description:
        'Its turns go, and the messages waiting behind the running turn with them; the running turn’s ' +
        'run is cancelled. The runs that answered turns stay.',
      params: ConversationParams,
      response: { 204: z.undefined(), ...errorResponses },
    },
    handler: async (request, reply) => {
      await conversations.delete(scopeOf(request), request.params.id);
      return reply.code(204).send();
    },
  });
};
