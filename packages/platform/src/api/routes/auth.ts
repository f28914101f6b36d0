/**
 * `/v1/auth`: sign in (`login`), renew (`refresh`), sign out (`logout`), and who am I (`me`). Login
 * and refresh are the only `/v1` routes that take no credential; the service audits them all.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RequestOrigin } from '../../services/index.ts';
import { principalOf } from '../auth.ts';
import { LoginBody, MeView, RefreshBody, TokenPairView, toUserView } from '../views/accounts.ts';
import { errorResponses } from '../views/common.ts';
import type { ApiRoutes } from './route-deps.ts';

const tags = ['auth'];

/** The request's client address and id, for throttling and the audit log. */
export const originOf = (request: FastifyRequest): RequestOrigin => ({
  requestId: request.id,
  ...(request.ip ? { ip: request.ip } : {}),
});

/** The auth routes. */
export const authRoutes: ApiRoutes = (api, { services }) => {
  const auth = services.auth;

  api.post('/auth/login', {
    config: { permission: 'auth:sign-in', audit: false },
    schema: {
      tags,
      summary: 'Sign in with an email and a password',
      description:
        'Answers a short-lived access token and a single-use refresh token. A refused sign-in is 401 ' +
        '`invalid_credentials`, the same for an unknown email and a wrong password; repeated failures lock ' +
        'the account and the client address for a while (429 with `Retry-After`).',
      security: [],
      body: LoginBody,
      response: { 200: TokenPairView, ...errorResponses },
    },
    handler: async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      return auth.login(request.body, originOf(request));
    },
  });

  api.post('/auth/refresh', {
    config: { permission: 'auth:sign-in', audit: false },
    schema: {
      tags,
      summary: 'Trade a refresh token for a new pair',
      description:
        'The refresh token is spent; the answer carries its successor. A spent token presented again ' +
        'revokes its whole session (401).',
      security: [],
      body: RefreshBody,
      response: { 200: TokenPairView, ...errorResponses },
    },
    handler: async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      return auth.refresh(request.body.refreshToken, originOf(request));
    },
  });

  api.post('/auth/logout', {
    config: { permission: 'auth:self', audit: false },
    schema: {
      tags,
      summary: "End the caller's session",
      description: 'Its access and refresh tokens stop working at once. Nothing to end for an API key.',
      response: { 204: z.undefined(), ...errorResponses },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      if (principal.credential)
        await auth.logout({ ...principal, credential: principal.credential }, originOf(request));
      return reply.code(204).send();
    },
  });

  api.get('/auth/me', {
    config: { permission: 'auth:self' },
    schema: {
      tags,
      summary: 'Who the credential is',
      response: { 200: MeView, ...errorResponses },
    },
    handler: async (request) => {
      const { scope, role, credential } = principalOf(request);
      const user =
        credential?.kind === 'user'
          ? toUserView(await services.users.get(scope, credential.userId))
          : undefined;
      return {
        orgId: scope.orgId,
        actor: scope.actor,
        role,
        credential: credential?.kind ?? ('other' as const),
        ...(user ? { user } : {}),
      };
    },
  });
};
