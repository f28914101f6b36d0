/** `/v1/api-keys`: create (the key is shown once), list, revoke. */
import { z } from 'zod';
import { principalOf, scopeOf } from '../auth.ts';
import { ApiKeyView, CreateApiKeyBody, CreatedApiKeyView, toApiKeyView } from '../views/accounts.ts';
import { errorResponses, pathId } from '../views/common.ts';
import { originOf } from './auth.ts';
import type { ApiRoutes } from './route-deps.ts';

const tags = ['api-keys'];

/** The API key routes. */
export const apiKeyRoutes: ApiRoutes = (api, { services }) => {
  const keys = services.apiKeys;

  api.get('/api-keys', {
    config: { permission: 'api-keys:read' },
    schema: {
      tags,
      summary: 'List the organization’s API keys (never their secrets)',
      response: { 200: z.object({ items: z.array(ApiKeyView) }), ...errorResponses },
    },
    handler: async (request) => ({ items: (await keys.list(scopeOf(request))).map(toApiKeyView) }),
  });

  api.post('/api-keys', {
    config: { permission: 'api-keys:write', audit: false },
    schema: {
      tags,
      summary: 'Create an API key',
      description: 'The answer’s `key` is the only time the secret is shown; only its hash is stored.',
      body: CreateApiKeyBody,
      response: { 201: CreatedApiKeyView, ...errorResponses },
    },
    handler: async (request, reply) => {
      const { apiKey, key } = await keys.create(principalOf(request), request.body, originOf(request));
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ ...toApiKeyView(apiKey), key });
    },
  });

  api.delete('/api-keys/:id', {
    config: { permission: 'api-keys:write', audit: false },
    schema: {
      tags,
      summary: 'Revoke an API key',
      description: 'It stops working at its next request.',
      params: z.strictObject({ id: pathId.describe('API key id') }),
      response: { 204: z.undefined(), ...errorResponses },
    },
    handler: async (request, reply) => {
      await keys.revoke(principalOf(request), request.params.id, originOf(request));
      return reply.code(204).send();
    },
  });
};
