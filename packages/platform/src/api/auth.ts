/**
 * The authentication seam. Every `/v1` request runs one hook: the server's authenticators, in order,
 * turn the request's credential into a {@link Principal} (a scope, a role and the credential); the
 * caller's request rate is checked; the route's action is checked against the permission table, and a
 * denial is audited. Credentials: access JWTs and API keys (`accountAuthenticator`), the local control
 * credential (a connection to the control socket, or its `lc_` bearer token over TCP). Only the routes
 * whose action is anonymous (signing in, refreshing) run without one.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Role, Scope } from '@autonoma/core';
import { AutonomaError, defaultOrgId } from '@autonoma/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService, Credential } from '../services/index.ts';
import type { Action } from './permissions.ts';
import { allows, isAction, isAnonymous } from './permissions.ts';
import type { RateLimit, RateLimiter } from './rate-limit.ts';

/** Who is calling: the scope every service call gets, the role the permission table checks. */
export interface Principal {
  scope: Scope;
  role: Role;
  /** How it was authenticated (absent for principals made by hand, as in tests). */
  credential?: Credential;
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
    /** Set by the authentication hook on every `/v1` request that is not anonymous. */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** The action a `/v1` route performs (see permissions.ts). */
    permission?: Action;
    /**
     * False for a route whose service writes its own audit entry (with the request id), so the
     * request is not audited twice. @default true for every POST, PUT, PATCH and DELETE
     */
    audit?: boolean;
  }
}

/** The local owner: the embedded organization, role owner, acting as `actor`. */
export const localOwner = (actor = 'local'): Principal => ({
  scope: { orgId: defaultOrgId, actor },
  role: 'owner',
  credential: { kind: 'local' },
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

/**
 * Accounts' credentials: an API key (`Bearer ak_…`) or an access JWT (`Bearer <header>.<payload>.<sig>`),
 * checked against the store on every request (a revoked key, a logged-out session or a disabled user
 * stop working at once). Any other bearer token is left to the next authenticator.
 */
export function accountAuthenticator(auth: AuthService): Authenticator {
  return async (request) => {
    const token = bearerToken(request);
    if (token === undefined) return undefined;
    if (token.startsWith('ak_')) return auth.authenticateApiKey(token);
    if (token.split('.').length === 3) return auth.authenticateAccessToken(token);
    return undefined;
  };
}

const unauthorized = (message: string): AutonomaError =>
  new AutonomaError('unauthorized', message, { category: 'user' });

const forbidden = (message: string): AutonomaError =>
  new AutonomaError('forbidden', message, { category: 'user' });

/** The principal of an authenticated request (inside `/v1` handlers). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AutonomaError('internal', 'a /v1 route ran without authentication');
  return request.principal;
}

/** The scope of an authenticated request: what every service call of a `/v1` handler is given. */
export const scopeOf = (request: FastifyRequest): Scope => principalOf(request).scope;

/** What the authentication hook does besides authenticating. */
export interface AuthenticationOptions {
  /** Turn a request's credential into a principal, tried in order. */
  authenticators: readonly Authenticator[];
  /** Counts each principal's requests (not the local owner's). */
  limiter?: RateLimiter;
  /** @default no limit */
  limit?: RateLimit;
  /** Records a denial (403) in the audit log. */
  onDenied?: (request: FastifyRequest, principal: Principal, reason: string) => Promise<void>;
  /** Browser origins allowed to open a WebSocket besides the server's own (the CORS origins). */
  allowedOrigins?: readonly string[];
}

/** True when a request is a WebSocket upgrade from a page of another origin than this server's. */
function foreignWebSocketOrigin(request: FastifyRequest, allowed: readonly string[]): string | undefined {
  if (request.headers.upgrade?.toLowerCase() !== 'websocket') return undefined;
  const origin = request.headers.origin;
  if (origin === undefined) return undefined;
  if (allowed.includes(origin)) return undefined;
  try {
    if (new URL(origin).host === request.headers.host) return undefined;
  } catch {
    // Not a URL: certainly not this server.
  }
  return origin;
}

/**
 * Installs authentication and authorization on an encapsulated instance (the `/v1` plugin): every route
 * registered in it must name its action, and every request is authenticated, rate limited, then checked
 * against the permission table, before its body is even parsed.
 */
export function installAuthentication(api: FastifyInstance, options: AuthenticationOptions): void {
  api.addHook('onRoute', (route) => {
    if (!isAction(route.config?.permission))
      throw new Error(`route ${String(route.method)} ${route.url} names no permission (api/permissions.ts)`);
  });
  api.addHook('onRequest', async (request) => {
    const action = request.routeOptions.config.permission;
    if (isAction(action) && isAnonymous(action)) return;
    let principal: Principal | undefined;
    for (const authenticate of options.authenticators) {
      principal = await authenticate(request);
      if (principal) break;
    }
    if (!principal)
      throw unauthorized(
        request.headers.authorization === undefined
          ? 'authentication required'
          : 'the credentials were not accepted',
      );
    const deny = async (reason: string): Promise<never> => {
      await options.onDenied?.(request, principal, reason);
      throw forbidden(reason);
    };
    const origin = foreignWebSocketOrigin(request, options.allowedOrigins ?? []);
    if (origin !== undefined) await deny(`WebSocket from origin ${origin.slice(0, 200)} refused`);
    if (options.limiter && options.limit && principal.credential?.kind !== 'local')
      await options.limiter.check(
        `principal:${principal.scope.orgId}:${principal.scope.actor}`,
        options.limit,
      );
    if (!isAction(action) || !allows(principal.role, action))
      await deny(`role ${principal.role} may not ${action ?? 'do this'}`);
    request.principal = principal;
  });
}
