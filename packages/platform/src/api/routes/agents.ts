/** `/v1/agents`: agent definitions (CRUD). */
import { z } from 'zod';
import { scopeOf } from '../auth.ts';
import { requestError } from '../errors.ts';
import { AgentBody, AgentPutBody, AgentView, toAgentView } from '../views/agents.ts';
import { errorResponses, pathId } from '../views/common.ts';
import type { ApiRoutes } from './route-deps.ts';

const NameParams = z.strictObject({ name: pathId.describe('agent name or id') });
const tags = ['agents'];

/** The agent routes. */
export const agentRoutes: ApiRoutes = (api, { services }) => {
  const agents = services.agents;

  api.get('/agents', {
    config: { permission: 'agents:read' },
    schema: {
      tags,
      summary: 'List agents',
      response: { 200: z.object({ items: z.array(AgentView) }), ...errorResponses },
    },
    handler: async (request) => ({ items: (await agents.list(scopeOf(request))).map(toAgentView) }),
  });

  api.get('/agents/:name', {
    config: { permission: 'agents:read' },
    schema: {
      tags,
      summary: 'Get an agent',
      params: NameParams,
      response: { 200: AgentView, ...errorResponses },
    },
    handler: async (request) => toAgentView(await agents.get(scopeOf(request), request.params.name)),
  });

  /** Creates or replaces by name: 201 when the name was new, 200 when it replaced a definition. */
  const save = async (
    scope: Parameters<typeof agents.put>[0],
    spec: AgentBody,
  ): Promise<[number, AgentView]> => {
    const existed = await agents.get(scope, spec.name).then(
      () => true,
      () => false,
    );
    return [existed ? 200 : 201, toAgentView(await agents.put(scope, spec))];
  };

  api.post('/agents', {
    config: { permission: 'agents:write' },
    schema: {
      tags,
      summary: 'Create (or replace) an agent',
      body: AgentBody,
      response: { 200: AgentView, 201: AgentView, ...errorResponses },
    },
    handler: async (request, reply) => {
      const [status, agent] = await save(scopeOf(request), request.body);
      return reply.code(status).send(agent);
    },
  });

  api.put('/agents/:name', {
    config: { permission: 'agents:write' },
    schema: {
      tags,
      summary: 'Create or replace the agent with this name',
      params: NameParams,
      body: AgentPutBody,
      response: { 200: AgentView, 201: AgentView, ...errorResponses },
    },
    handler: async (request, reply) => {
      const { name } = request.params;
      if (request.body.name !== undefined && request.body.name !== name)
        throw requestError('body.name', `'${request.body.name}' differs from the path's '${name}'`);
      const spec = AgentBody.safeParse({ ...request.body, name });
      if (!spec.success) throw requestError('params.name', spec.error.issues[0]?.message ?? 'invalid');
      const [status, agent] = await save(scopeOf(request), spec.data);
      return reply.code(status).send(agent);
    },
  });

  api.delete('/agents/:name', {
    config: { permission: 'agents:write' },
    schema: {
      tags,
      summary: 'Delete an agent',
      params: NameParams,
      response: { 204: z.undefined(), ...errorResponses },
    },
    handler: async (request, reply) => {
      await agents.delete(scopeOf(request), request.params.name);
      return reply.code(204).send();
    },
  });
};

type AgentBody = z.infer<typeof AgentBody>;
