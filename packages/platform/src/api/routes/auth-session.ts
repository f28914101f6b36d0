/**
 * `/v1/auth/session`: the browser's way to sign in (the dashboard's), beside the token routes of
 * `/v1/auth` (ARCHITECTURE §8), which answer both tokens in the body for the CLI and scripts.
 *
 * A page must not hold a long-lived credential where its scripts can read it: injected script could
 * carry it away. So here the refresh token never reaches the page: sign-in and refresh set it in an
 * `HttpOnly`, `SameSite=Strict` cookie (`Secure` over HTTPS) whose path is this resource alone, and
 * answer only the short-lived access token, which the dashboard keeps in memory. The cookie is read
 * only by `POST /v1/auth/session/refresh`; a cross-site page cannot make the browser send it
 * (SameSite=Strict), nor read the answer (no CORS credentials). The tokens are the same sessions as
 * `/v1/auth/login`'s: rotation, reuse detection, throttling and audit are the auth service's.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AutonomaError } from '@autonoma/core';
import { z } from 'zod';
import { principalOf } from '../auth.ts';
import { LoginBody } from '../views/accounts.ts';
import { errorResponses } from '../views/common.ts';
import { originOf } from './auth.ts';
import type { ApiRoutes } from './route-deps.ts';

/** Name of the refresh cookie. */
export const refreshCookieName = 'autonoma_refresh';
/** The only path the browser sends the cookie to. */
export const refreshCookiePath = '/v1/auth/session';

const tags = ['auth'];

/** What the browser's sign-in and refresh answer: the access token only. */
const AccessTokenView = z
  .object({
    accessToken: z.string().describe('send as `Authorization: Bearer …`; keep it in memory'),
    expiresIn: z.number().int().describe('seconds the access token is valid'),
  })
  .meta({ id: 'AccessToken' });

/** The refresh cookie of a request, if it sends one. */
export function refreshCookieOf(request: FastifyRequest): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === refreshCookieName && value.length > 0) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

const cookieAttributes = (request: FastifyRequest): string =>
  `Path=${refreshCookiePath}; HttpOnly; SameSite=Strict${request.protocol === 'https' ? '; Secure' : ''}`;

// A session cookie (no Max-Age): it goes when the browser does; the server bounds its life anyway.
const setRefreshCookie = (request: FastifyRequest, reply: FastifyReply, token: string): void =>
  void reply.header(
    'set-cookie',
    `${refreshCookieName}=${encodeURIComponent(token)}; ${cookieAttributes(request)}`,
  );

const clearRefreshCookie = (request: FastifyRequest, reply: FastifyReply): void =>
  void reply.header('set-cookie', `${refreshCookieName}=; ${cookieAttributes(request)}; Max-Age=0`);

/** The browser session routes. */
export const authSessionRoutes: ApiRoutes = (api, { services }) => {
  const auth = services.auth;

  api.post('/auth/session', {
    config: { permission: 'auth:sign-in', audit: false },
    schema: {
      tags,
      summary: 'Sign in from a browser: the refresh token goes in an HttpOnly cookie',
      description:
        'As `POST /v1/auth/login`, but the answer carries only the access token; the refresh token is set in ' +
        `the \`${refreshCookieName}\` cookie (HttpOnly, SameSite=Strict, Path=${refreshCookiePath}).`,
      security: [],
      body: LoginBody,
      response: { 200: AccessTokenView, ...errorResponses },
    },
    handler: async (request, reply) => {
      const pair = await auth.login(request.body, originOf(request));
      setRefreshCookie(request, reply, pair.refreshToken);
      void reply.header('cache-control', 'no-store');
      return { accessToken: pair.accessToken, expiresIn: pair.expiresIn };
    },
  });

  api.post('/auth/session/refresh', {
    config: { permission: 'auth:sign-in', audit: false },
    schema: {
      tags,
      summary: 'Renew a browser session with its cookie',
      description:
        'Spends the refresh token in the cookie and sets its successor; answers a new access token. 401 when ' +
        'there is no cookie or its session ended (the cookie is then cleared).',
      security: [],
      response: { 200: AccessTokenView, ...errorResponses },
    },
    handler: async (request, reply) => {
      void reply.header('cache-control', 'no-store');
      const token = refreshCookieOf(request);
      if (token === undefined)
        throw new AutonomaError('unauthorized', 'no browser session: sign in', { category: 'user' });
      try {
        const pair = await auth.refresh(token, originOf(request));
        setRefreshCookie(request, reply, pair.refreshToken);
        return { accessToken: pair.accessToken, expiresIn: pair.expiresIn };
      } catch (error) {
        clearRefreshCookie(request, reply);
        throw error;
      }
    },
  });

  api.post('/auth/session/logout', {
    config: { permission: 'auth:self', audit: false },
    schema: {
      tags,
      summary: "End the caller's browser session and clear its cookie",
      response: { 204: z.undefined(), ...errorResponses },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      if (principal.credential)
        await auth.logout({ ...principal, credential: principal.credential }, originOf(request));
      clearRefreshCookie(request, reply);
      return reply.code(204).send();
    },
  });
};
