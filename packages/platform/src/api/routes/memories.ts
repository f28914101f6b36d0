/** `/v1/memories`: list, search (recall with each score's parts), delete. */
import type { Scope } from '@autonoma/core';
import { z } from 'zod';
import type { Services } from '../../services/index.ts';
import { scopeOf } from '../auth.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { cursorQuery, errorResponses, limitQuery, page, pathId } from '../views/common.ts';
import {
  MemoryKind,
  MemoryView,
  PlanView,
  ScoredMemoryView,
  toMemoryView,
  toPlanView,
  toScoredMemoryView,
} from '../views/memories.ts';
import type { ApiRoutes } from './route-deps.ts';

const tags = ['memories'];

/** The id of the named agent (name or id; the default agent when absent); `not_found` otherwise. */
const agentIdOf = async (services: Services, scope: Scope, agent: string | undefined): Promise<string> =>
  (await services.agents.get(scope, agent)).id;

/** The memory routes. */
export const memoryRoutes: ApiRoutes = (api, { services }) => {
  const memories = services.memories;

  api.get('/memories', {
    config: { permission: 'memories:read' },
    schema: {
      tags,
      summary: 'List memories, newest first',
      querystring: z.strictObject({
        agent: z.string().min(1).max(200).optional().describe("only this agent's (name or id)"),
        kind: MemoryKind.optional(),
        limit: limitQuery(20, 1000),
        cursor: cursorQuery,
      }),
      response: { 200: page(MemoryView), ...errorResponses },
    },
    handler: async (request) => {
      const scope = scopeOf(request);
      const { agent, kind, limit, cursor } = request.query;
      const found = await memories.list(scope, {
        limit: limit + 1,
        ...(agent ? { agentId: await agentIdOf(services, scope, agent) } : {}),
        ...(kind ? { kind } : {}),
        ...(cursor ? { before: decodeCursor('memories', cursor, 'string') } : {}),
      });
      const items = found.slice(0, limit);
      const last = items.at(-1);
      return {
        items: items.map(toMemoryView),
        nextCursor: found.length > limit && last ? encodeCursor('memories', last.id) : null,
      };
    },
  });

  api.get('/memories/search', {
    config: { permission: 'memories:read' },
    schema: {
      tags,
      summary: 'Recall memories for a query, as a run of the agent would',
      querystring: z.strictObject({
        q: z.string().trim().min(1).max(2000).describe('what to look for'),
        agent: z.string().min(1).max(200).optional().describe('whose memories (default: the default agent)'),
        limit: limitQuery(5, 100),
      }),
      response: { 200: z.object({ items: z.array(ScoredMemoryView) }), ...errorResponses },
    },
    handler: async (request) => {
      const scope = scopeOf(request);
      const { q, agent, limit } = request.query;
      const found = await memories.search(scope, {
        agentId: await agentIdOf(services, scope, agent),
        text: q,
        limit,
      });
      return { items: found.map(toScoredMemoryView) };
    },
  });

  api.get('/memories/plans', {
    config: { permission: 'memories:read' },
    schema: {
      tags,
      summary: 'Reusable plans learned from successful runs, most used first',
      querystring: z.strictObject({
        agent: z.string().min(1).max(200).optional().describe("only this agent's (name or id)"),
      }),
      response: { 200: z.object({ items: z.array(PlanView) }), ...errorResponses },
    },
    handler: async (request) => {
      const scope = scopeOf(request);
      const { agent } = request.query;
      const plans = await memories.plans(scope, {
        ...(agent ? { agentId: await agentIdOf(services, scope, agent) } : {}),
      });
      return { items: plans.map(toPlanView) };
    },
  });

  api.delete('/memories/:id', {
    config: { permission: 'memories:delete' },
    schema: {
      tags,
      summary: 'Delete a memory',
      params: z.strictObject({ id: pathId }),
      response: { 204: z.undefined(), ...errorResponses },
    },
    handler: async (request, reply) => {
      await memories.delete(scopeOf(request), request.params.id);
      return reply.code(204).send();
    },
  });
};
