/**
 * Sessions end when they should: a refresh token rotates at every use and a spent one presented again
 * revokes its whole family; logout ends the access and refresh tokens at once; disabling a user, or
 * changing its password, ends its tokens at their next request; a revoked or expired API key stops.
 * Against PGlite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenPair } from '../../src/services/index.ts';
import type { SecureHarness } from './security-harness.ts';
import { expectCleanError, startSecureApi } from './security-harness.ts';

describe.each(['pglite', 'postgres'] as const)('sessions and their tokens [%s]', (store) => {
  let harness: SecureHarness;
  beforeAll(async () => {
    harness = await startSecureApi({ store });
  });
  afterAll(async () => {
    await harness?.close();
  });

  const me = (token: string) =>
    harness.api.inject({ url: '/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
  const refresh = (refreshToken: string) =>
    harness.api.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } });
  const auditActions = async (orgId: string, action: string) =>
    harness.app.database.stores.audit.list({ orgId, action, limit: 1000 });

  it('login answers a pair; /auth/me names the user; the answer is not cached and holds no hash', async () => {
    const response = await harness.api.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: harness.people.operator.email, password: harness.people.operator.password },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const pair = response.json<TokenPair>();
    expect(Object.keys(pair).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken']);
    expect(pair.expiresIn).toBe(900);
    const who = await me(pair.accessToken);
    expect(who.statusCode).toBe(200);
    expect(who.json()).toEqual({
      orgId: harness.orgs.alpha,
      actor: `user:${harness.people.operator.userId}`,
      role: 'operator',
      credential: 'user',
      user: expect.objectContaining({
        email: harness.people.operator.email,
        role: 'operator',
        disabled: false,
      }),
    });
    expect(who.body).not.toMatch(/argon2|passwordHash/);
  });

  it('rotates the refresh token at every use; the spent one revokes the whole family', async () => {
    const first = await harness.login('admin');
    const second = (await refresh(first.refreshToken)).json<TokenPair>();
    expect(second.refreshToken).not.toBe(first.refreshToken);
    const third = (await refresh(second.refreshToken)).json<TokenPair>();
    expect((await me(third.accessToken)).statusCode).toBe(200);
    // A thief replays the first token: refused, and every token of the family stops working.
    const replay = await refresh(first.refreshToken);
    expect(replay.statusCode).toBe(401);
    expect(expectCleanError(replay.body).code).toBe('unauthorized');
    expect((await refresh(third.refreshToken)).statusCode).toBe(401);
    for (const pair of [first, second, third]) expect((await me(pair.accessToken)).statusCode).toBe(401);
    // Another session of the same user is untouched.
    expect((await me(harness.people.admin.tokens.accessToken)).statusCode).toBe(200);
    const reuse = await auditActions(harness.orgs.alpha, 'auth.refresh_reused');
    expect(reuse.at(-1)).toMatchObject({ actor: `user:${harness.people.admin.userId}` });
    expect(reuse.at(-1)?.detail).toHaveProperty('requestId');
  });

  it('refuses unknown and malformed refresh tokens with one 401', async () => {
    for (const refreshToken of [
      'rt_' + 'A'.repeat(43),
      'not-a-token',
      harness.people.admin.tokens.accessToken,
    ])
      expect((await refresh(refreshToken)).statusCode).toBe(401);
  });

  it('logout ends the session: its access and refresh tokens answer 401 at once', async () => {
    const pair = await harness.login('operator');
    const out = await harness.api.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: { authorization: `Bearer ${pair.accessToken}` },
    });
    expect(out.statusCode).toBe(204);
    expect((await me(pair.accessToken)).statusCode).toBe(401);
    expect((await refresh(pair.refreshToken)).statusCode).toBe(401);
    expect((await auditActions(harness.orgs.alpha, 'auth.logout')).at(-1)).toMatchObject({
      actor: `user:${harness.people.operator.userId}`,
    });
  });

  it('a disabled user’s tokens stop at their next request, and it cannot sign in; enabled again, it can', async () => {
    const victim = await harness.app.services.users.create(
      { scope: { orgId: harness.orgs.alpha, actor: 'test' }, role: 'owner' },
      { email: `disabled-${store}@example.org`, password: 'a-long-enough-password', role: 'operator' },
    );
    const login = () =>
      harness.api.inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { email: victim.email, password: 'a-long-enough-password' },
      });
    const pair = (await login()).json<TokenPair>();
    expect((await me(pair.accessToken)).statusCode).toBe(200);
    const disabled = await harness.api.inject({
      method: 'PATCH',
      url: `/v1/users/${victim.id}`,
      headers: harness.as('admin'),
      payload: { disabled: true },
    });
    expect(disabled.statusCode).toBe(200);
    expect((await me(pair.accessToken)).statusCode).toBe(401);
    expect((await refresh(pair.refreshToken)).statusCode).toBe(401);
    const refused = await login();
    expect(refused.statusCode).toBe(401);
    expect(expectCleanError(refused.body)).toMatchObject({ code: 'invalid_credentials' });
    await harness.api.inject({
      method: 'PATCH',
      url: `/v1/users/${victim.id}`,
      headers: harness.as('admin'),
      payload: { disabled: false },
    });
    expect((await login()).statusCode).toBe(200);
    // The old session stays ended.
    expect((await me(pair.accessToken)).statusCode).toBe(401);
  });

  it('a password change ends the user’s sessions', async () => {
    const pair = await harness.login('viewer');
    const changed = await harness.api.inject({
      method: 'PATCH',
      url: `/v1/users/${harness.people.viewer.userId}`,
      headers: harness.as('owner'),
      payload: { password: 'a-brand-new-password-for-viewer' },
    });
    expect(changed.statusCode).toBe(200);
    expect((await me(pair.accessToken)).statusCode).toBe(401);
    expect((await me(harness.people.viewer.tokens.accessToken)).statusCode).toBe(401);
    harness.people.viewer.password = 'a-brand-new-password-for-viewer';
    harness.people.viewer.tokens = await harness.login('viewer');
  });

  it('an API key is shown once, works until revoked, and a revoked or expired key answers 401', async () => {
    const created = await harness.api.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: harness.as('admin'),
      payload: { name: 'deploy bot', role: 'operator' },
    });
    expect(created.statusCode).toBe(201);
    const { id, key, prefix } = created.json<{ id: string; key: string; prefix: string }>();
    expect(key).toMatch(/^ak_[A-Za-z0-9_-]{43}$/);
    expect(key.startsWith(prefix)).toBe(true);
    const listed = await harness.api.inject({ url: '/v1/api-keys', headers: harness.as('admin') });
    expect(listed.body).not.toContain(key);
    expect(listed.json<{ items: { id: string }[] }>().items.map((item) => item.id)).toContain(id);
    expect((await me(key)).json()).toMatchObject({
      credential: 'api-key',
      role: 'operator',
      actor: `key:${id}`,
    });
    const revoked = await harness.api.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${id}`,
      headers: harness.as('admin'),
    });
    expect(revoked.statusCode).toBe(204);
    expect((await me(key)).statusCode).toBe(401);

    const expiring = await harness.app.services.apiKeys.create(
      { scope: { orgId: harness.orgs.alpha, actor: 'test' }, role: 'owner' },
      { name: 'short-lived', role: 'viewer', expiresAt: harness.clock.now() + 60_000 },
    );
    expect((await me(expiring.key)).statusCode).toBe(200);
    harness.clock.advance(60_001);
    try {
      expect((await me(expiring.key)).statusCode).toBe(401);
    } finally {
      harness.clock.advance(-60_001);
    }
  });
});
