/**
 * Authentication and roles on every route the OpenAPI document lists, walked from `/openapi.json`:
 * without credentials every route but the public ones answers 401 (through `inject()` and real HTTP);
 * each role gets exactly what the permission table grants (the document's `x-roles`), a denial is a
 * 403 in the error shape and is in the audit log with its request id; a viewer is refused every route
 * that changes something; fields a caller may not set (`role`, `orgId`, `status`) in a body are
 * refused or change nothing.
 */
import type { Role } from '@autonoma/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permissions, rolesAllowed } from '../../src/api/permissions.ts';
import type { Operation } from './openapi-walk.ts';
import { fillPath, operationsOf } from './openapi-walk.ts';
import type { Person, SecureHarness } from './security-harness.ts';
import { expectCleanError, startSecureApi } from './security-harness.ts';

/** Routes that answer without credentials (ARCHITECTURE §8), and signing in / renewing a session. */
const publicOperations = new Set([
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  'GET /openapi.json',
  'GET /docs',
  'POST /v1/auth/login',
  'POST /v1/auth/refresh',
  'POST /v1/auth/session',
  'POST /v1/auth/session/refresh',
]);

/** POSTs a viewer may make: they end its own session or compute without changing anything. */
const viewerPosts = new Set([
  'POST /v1/auth/logout',
  'POST /v1/auth/session/logout',
  'POST /v1/runs/{id}/replay',
]);

const mutating = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const key = (operation: Operation): string => `${operation.method} ${operation.path}`;
/** Ids that name nothing: an allowed request answers 404 (or 400), and changes nothing. */
const missing = (): string => 'missing_0000';

interface DocumentedOperation extends Operation {
  permission?: string;
  roles?: Role[];
}

describe('authentication and roles on every route [pglite]', () => {
  let harness: SecureHarness;
  let operations: DocumentedOperation[];
  let base: string;

  beforeAll(async () => {
    harness = await startSecureApi();
    const document = (await harness.api.inject({ url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, { 'x-permission'?: string; 'x-roles'?: Role[] }>>;
    }>();
    operations = (await operationsOf(harness.api)).map((operation) => {
      const documented = document.paths[operation.path]?.[operation.method.toLowerCase()];
      return {
        ...operation,
        ...(documented?.['x-permission'] ? { permission: documented['x-permission'] } : {}),
        ...(documented?.['x-roles'] ? { roles: documented['x-roles'] } : {}),
      };
    });
    base = await harness.listen();
  });
  afterAll(async () => {
    await harness?.close();
  });

  const send = (operation: Operation, headers: Record<string, string>) =>
    harness.api.inject({
      method: operation.method as 'GET',
      url: fillPath(operation.path, missing),
      headers,
      ...(mutating.has(operation.method) && operation.method !== 'DELETE' ? { payload: {} } : {}),
    });

  it('documents the permission of every /v1 route, as the one table says', () => {
    const v1 = operations.filter((operation) => operation.path.startsWith('/v1/'));
    expect(v1.length).toBeGreaterThan(40);
    for (const operation of v1) {
      expect(operation.permission, key(operation)).toBeDefined();
      const action = operation.permission as keyof typeof permissions;
      expect(Object.hasOwn(permissions, action), key(operation)).toBe(true);
      expect(operation.roles, key(operation)).toEqual([...rolesAllowed(action)]);
      // Public in the table exactly when public in the contract.
      expect(operation.roles?.length === 0, key(operation)).toBe(publicOperations.has(key(operation)));
    }
  });

  it('every route but the public ones answers 401 without credentials, and with a forged one', async () => {
    const guarded = operations.filter((operation) => !publicOperations.has(key(operation)));
    expect(guarded.length).toBeGreaterThan(40);
    for (const operation of guarded)
      for (const headers of [
        {} as Record<string, string>,
        { authorization: 'Bearer not-a-token' },
        { authorization: 'Bearer ak_forged' },
        { authorization: 'Basic b3duZXI6b3duZXI=' },
      ]) {
        const response = await send(operation, headers);
        expect(response.statusCode, `${key(operation)} ${JSON.stringify(headers)}`).toBe(401);
        expect(expectCleanError(response.body).code).toBe('unauthorized');
      }
    // The public ones reach their handler without credentials (a refresh with no refresh token is
    // still refused, by the handler: not the authentication hook's "authentication required").
    for (const operation of operations.filter((candidate) => publicOperations.has(key(candidate)))) {
      const response = await send(operation, {});
      if (response.statusCode === 401)
        expect(expectCleanError(response.body).message, key(operation)).not.toBe('authentication required');
    }
  });

  it('the same over real HTTP, and a WebSocket without a token is refused', async () => {
    for (const operation of operations.filter((candidate) => !publicOperations.has(key(candidate)))) {
      const response = await fetch(`${base}${fillPath(operation.path, missing)}`, {
        method: operation.method,
        ...(mutating.has(operation.method) && operation.method !== 'DELETE'
          ? { body: '{}', headers: { 'content-type': 'application/json' } }
          : {}),
      });
      expect(response.status, key(operation)).toBe(401);
      expectCleanError(await response.text());
    }
    const run = await harness.app.services.runs.start(
      { orgId: harness.orgs.alpha, actor: 'test' },
      { goal: 'a run to watch' },
    );
    const refused = await new Promise<string>((resolve) => {
      const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/v1/runs/${run.id}/ws`);
      socket.addEventListener('open', () => resolve('open'));
      socket.addEventListener('error', () => resolve('refused'));
    });
    expect(refused).toBe('refused');
  });

  const roleOf: Record<Role, Person> = {
    owner: 'owner',
    admin: 'admin',
    operator: 'operator',
    viewer: 'viewer',
  };

  it.each(['owner', 'admin', 'operator', 'viewer'] as const)(
    'a %s gets exactly what the permission table grants on every route; each denial is audited',
    async (role) => {
      const scope = { orgId: harness.orgs.alpha, actor: 'test' };
      const before = (
        await harness.app.services.audit.list(scope, { action: 'access.denied', limit: 10_000 })
      ).length;
      let denials = 0;
      for (const operation of operations) {
        // Signing out would end the session the walk goes on with (sessions.test.ts covers it).
        if (!operation.path.startsWith('/v1/') || publicOperations.has(key(operation))) continue;
        if (operation.permission === 'auth:self' && operation.method === 'POST') continue;
        const response = await send(operation, harness.as(roleOf[role]));
        const allowed = operation.roles?.includes(role) ?? false;
        if (allowed) expect(response.statusCode, `${role} ${key(operation)}`).not.toBe(403);
        else {
          expect(response.statusCode, `${role} ${key(operation)}`).toBe(403);
          expect(expectCleanError(response.body).code).toBe('forbidden');
          denials += 1;
          const entries = await harness.app.services.audit.list(scope, {
            action: 'access.denied',
            limit: 10_000,
          });
          const entry = entries.find(
            (candidate) => candidate.detail['requestId'] === response.headers['x-request-id'],
          );
          expect(entry, `${role} ${key(operation)} audited`).toMatchObject({
            actor: `user:${harness.people[roleOf[role]].userId}`,
            target: `${operation.method} ${fillPath(operation.path, missing)}`,
            detail: { role, permission: operation.permission },
          });
        }
        expect(response.statusCode, `${role} ${key(operation)}`).not.toBe(401);
      }
      const after = (await harness.app.services.audit.list(scope, { action: 'access.denied', limit: 10_000 }))
        .length;
      expect(after - before).toBe(denials);
      // Administrators may do everything owners may through the API (the services bound what they grant).
      if (role === 'owner' || role === 'admin') expect(denials).toBe(0);
      else expect(denials).toBeGreaterThan(0);
    },
  );

  it('a viewer (token or API key) is refused every route that changes something', async () => {
    const changing = operations.filter(
      (operation) =>
        mutating.has(operation.method) &&
        operation.path.startsWith('/v1/') &&
        !publicOperations.has(key(operation)) &&
        !viewerPosts.has(key(operation)),
    );
    expect(changing.length).toBeGreaterThan(20);
    for (const operation of changing)
      for (const who of ['viewer', 'key:viewer'] as const) {
        const response = await send(operation, harness.as(who));
        expect(response.statusCode, `${who} ${key(operation)}`).toBe(403);
      }
    // The routes a viewer may POST to are exactly these: a new changing route open to viewers fails here.
    const open = operations
      .filter((operation) => mutating.has(operation.method) && operation.roles?.includes('viewer'))
      .map(key);
    expect(open.sort()).toEqual([...viewerPosts].sort());
  });

  it('mass assignment: role, orgId and status in a body are refused, or change nothing', async () => {
    const admin = harness.as('admin');
    const post = (url: string, payload: Record<string, unknown>, headers = admin, method = 'POST') =>
      harness.api.inject({ method: method as 'POST', url, headers, payload });

    // Fields no body of the API has: 400 naming them, nothing created.
    for (const [url, payload] of [
      ['/v1/runs', { goal: 'sneaky', orgId: harness.orgs.beta }],
      ['/v1/runs', { goal: 'sneaky', status: 'succeeded' }],
      ['/v1/agents', { name: 'sneaky', orgId: harness.orgs.beta }],
      [
        '/v1/users',
        { email: 'sneaky@example.org', password: 'long-enough-password', orgId: harness.orgs.beta },
      ],
      ['/v1/api-keys', { name: 'sneaky', role: 'viewer', orgId: harness.orgs.beta }],
      ['/v1/schedules', { cron: '* * * * *', goal: 'sneaky', orgId: harness.orgs.beta }],
    ] as const) {
      const response = await post(url, payload);
      expect(response.statusCode, `${url} ${JSON.stringify(payload)}`).toBe(400);
      expect(expectCleanError(response.body).message).toMatch(/unknown field/);
    }
    expect(
      (
        await harness.app.services.runs.list({ orgId: harness.orgs.beta, actor: 'test' }, { limit: 100 })
      ).some((run) => run.goal.text === 'sneaky'),
    ).toBe(false);

    // A role above the caller's own: refused (and audited), in a new user, a key, or a change.
    const ownerUser = await post('/v1/users', {
      email: 'promoted@example.org',
      password: 'long-enough-password',
      role: 'owner',
    });
    expect(ownerUser.statusCode).toBe(403);
    const ownerKey = await post('/v1/api-keys', { name: 'too strong', role: 'owner' });
    expect(ownerKey.statusCode).toBe(403);
    const selfPromotion = await post(
      `/v1/users/${harness.people.admin.userId}`,
      { role: 'owner' },
      admin,
      'PATCH',
    );
    expect(selfPromotion.statusCode).toBe(403);
    const audited = await harness.app.services.audit.list(
      { orgId: harness.orgs.alpha, actor: 'test' },
      { action: 'access.denied', limit: 10_000 },
    );
    for (const response of [ownerUser, ownerKey, selfPromotion])
      expect(audited.some((entry) => entry.detail['requestId'] === response.headers['x-request-id'])).toBe(
        true,
      );
    const me = await harness.api.inject({ url: '/v1/auth/me', headers: admin });
    expect(me.json()).toMatchObject({ role: 'admin', orgId: harness.orgs.alpha });
  });
});
