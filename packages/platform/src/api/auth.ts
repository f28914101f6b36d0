/**
 * The authentication seam. Every `/v1` request runs one hook: the server's authenticators, in order,
 * turn the request's credential into a {@link Principal} (a scope and a role); the route's action is
 * then checked against the permission table. Today's credentials are the local control credential (a
 * connection to the control socket, or its bearer token over TCP); JWTs and API keys plug in as more
 * authenticators, with no change to any route.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Scope } from '@autonoma/core';
import { AutonomaError, defaultOrgId } from '@autonoma/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Action, Role } from './permissions.ts';
import { allows, isAction } from './permissions.ts';

/** Who is calling: the scope every service call gets, and the role the permission table checks. */
export interface Principal {
  scope: Scope;
  role: Role;
}

/**
 * Turns a request's credential into a principal: `undefined` when the request carries no credential
 * this authenticator knows (the next one is asked), a principal when it is valid. A credential it knows
 * but refuses (expired, revoked) throws `unauthorized`.
 */
export type Authenticator = (
  request: FastifyRequest,
) => Principal | undefined | Promise<Principal | undefined>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook on every `/v1` request. */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** The action a `/v1` route performs (see permissions.ts). */
    permission?: Action;
  }
}

/** The local owner: the embedded organization, role owner, acting as `actor`. */
export const localOwner = (actor = 'local'): Principal => ({
  scope: { orgId: defaultOrgId, actor },
  role: 'owner',
});

/**
 * Accepts every request as `principal`: for a listener whose callers are authenticated before they can
 * connect (the control socket, whose file permissions admit only its owner).
 */
export const trustedConnection =
  (principal: Principal): Authenticator =>
  () =>
    principal;

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** The bearer token of a request, if it sends one. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Accepts requests bearing exactly `token` (compared in constant time) as `principal`; any other
 * request is left to the next authenticator.
 */
export function tokenAuthenticator(token: string, principal: Principal): Authenticator {
  const expected = digest(token);
  return (request) => {
    const presented = bearerToken(request);
    if (presented === undefined) return undefined;
    return timingSafeEqual(digest(presented), expected) ? principal : undefined;
  };
}

const unauthorized = (message: string): AutonomaError =>
  new AutonomaError('unauthorized', message, { category: 'user' });

/** The principal of an authenticated request (inside `/v1` handlers). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AutonomaError('internal', 'a /v1 route ran without authentication');
  return request.principal;
}

/** The scope of an authenticated request: what every service call of a `/v1` handler is given. */
export const scopeOf = (request: FastifyRequest): Scope => principalOf(request).scope;

/**
 * Installs authentication and authorization on an encapsulated instance (the `/v1` plugin): every route
 * registered in it must name its action, and every request is authenticated, then checked against the
 * permission table, before its body is even parsed.
 */
export function installAuthentication(api: FastifyInstance, authenticators: readonly Authenticator[]): void {
  api.addHook('onRoute', (route) => {
    if (!isAction(route.config?.permission))
      throw new Error(`route ${String(route.method)} ${route.url} names no permission (api/permissions.ts)`);
  });
  api.addHook('onRequest', async (request) => {
    let principal: Principal | undefined;
    for (const authenticate of authenticators) {
      principal = await authenticate(request);
      if (principal) break;
    }
    if (!principal)
      throw unauthorized(
        request.headers.authorization === undefined
          ? 'authentication required'
          : 'the credentials were not accepted',
      );
    const action = request.routeOptions.config.permission;
    if (!isAction(action) || !allows(principal.role, action))
      // Denials are audited once the auth phase brings users and keys (ARCHITECTURE §8).
      throw new AutonomaError('forbidden', `role ${principal.role} may not ${action ?? 'do this'}`, {
        category: 'user',
      });
    request.principal = principal;
  });
}
