/** `/v1/users`: the organization's people, for administrators (create, list, get, change, delete). */
import { z } from 'zod';
import { principalOf, scopeOf } from '../auth.ts';
import { CreateUserBody, UpdateUserBody, UserView, toUserView } from '../views/accounts.ts';
import { errorResponses, pathId } from '../views/common.ts';
import { originOf } from './auth.ts';
import type { ApiRoutes } from './route-deps.ts';

const tags = ['users'];
const UserParams = z.strictObject({ id: pathId.describe('user id') });

/** The user routes. */
export const userRoutes: ApiRoutes = (api, { services }) => {
  const users = services.users;

  api.get('/users', {
    config: { permission: 'users:read' },
    schema: {
      tags,
      summary: 'List the organization’s users, oldest first',
      response: { 200: z.object({ items: z.array(UserView) }), ...errorResponses },
    },
    handler: async (request) => ({ items: (await users.list(scopeOf(request))).map(toUserView) }),
  });

  api.post('/users', {
    config: { permission: 'users:write', audit: false },
    schema: {
      tags,
      summary: 'Create a user',
      description:
        'With a role no higher than the caller’s. 409 `email_taken` when the email has an account.',
      body: CreateUserBody,
      response: { 201: UserView, ...errorResponses },
    },
    handler: async (request, reply) => {
      const user = await users.create(principalOf(request), request.body, originOf(request));
      return reply.code(201).header('location', `/v1/users/${user.id}`).send(toUserView(user));
    },
  });

  api.get('/users/:id', {
    config: { permission: 'users:read' },
    schema: {
      tags,
      summary: 'Get a user',
      params: UserParams,
      response: { 200: UserView, ...errorResponses },
    },
    handler: async (request) => toUserView(await users.get(scopeOf(request), request.params.id)),
  });

  api.patch('/users/:id', {
    config: { permission: 'users:write', audit: false },
    schema: {
      tags,
      summary: 'Change a user’s role, status or password',
      description:
        'Nobody grants more than their own role or changes someone who outranks them; the last enabled ' +
        'owner stays (409 `last_owner`). Disabling a user or changing its password ends its sessions.',
      params: UserParams,
      body: UpdateUserBody,
      response: { 200: UserView, ...errorResponses },
    },
    handler: async (request) =>
      toUserView(
        await users.update(principalOf(request), request.params.id, request.body, originOf(request)),
      ),
  });

  api.delete('/users/:id', {
    config: { permission: 'users:write', audit: false },
    schema: {
      tags,
      summary: 'Delete a user',
      params: UserParams,
      response: { 204: z.undefined(), ...errorResponses },
    },
    handler: async (request, reply) => {
      await users.delete(principalOf(request), request.params.id, originOf(request));
      return reply.code(204).send();
    },
  });
};
