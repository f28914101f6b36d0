/**
 * The account contracts: users (emails unique across organizations, org-scoped reads), API keys (found
 * by hash only, revocable once), sessions (rotation spends a refresh token exactly once; a spent token
 * presented again revokes the session), the sign-in throttle's window and lock, and the run quota count.
 */
import type { NewUser, ThrottlePolicy } from '@autonoma/core';
import { describe, expect, it } from 'vitest';
import { newOrg, newRun, uniqueId, type StoreHarness } from './fixtures.ts';

const newUser = (orgId: string, overrides: Partial<NewUser> = {}): NewUser => ({
  id: uniqueId('usr'),
  orgId,
  email: `${uniqueId('person')}@example.org`,
  passwordHash: '$argon2id$fake',
  role: 'operator',
  now: 1_000,
  ...overrides,
});

/** Registers the account contracts under `UserStore [name]` and its siblings. */
export function describeAccountStoreContracts(name: string, harness: StoreHarness): void {
  describe(`UserStore [${name}]`, () => {
    it('creates users with unique emails across organizations and reads them within their own', async () => {
      const { users } = harness.stores();
      const orgId = await newOrg(harness);
      const other = await newOrg(harness);
      const input = newUser(orgId, { role: 'owner' });
      const user = await users.create(input);
      expect(user).toEqual({
        id: input.id,
        orgId,
        email: input.email,
        role: 'owner',
        disabled: false,
        createdAt: 1_000,
        updatedAt: 1_000,
      });
      expect(user).not.toHaveProperty('passwordHash');
      expect(await users.create(newUser(other, { email: input.email }))).toBeUndefined();
      expect(await users.get(orgId, input.id)).toEqual(user);
      expect(await users.get(other, input.id)).toBeUndefined();
      expect(await users.findByEmail(input.email)).toEqual({ ...user, passwordHash: '$argon2id$fake' });
      expect(await users.findByEmail('nobody@example.org')).toBeUndefined();
      const second = await users.create(newUser(orgId, { now: 2_000 }));
      expect((await users.list(orgId)).map((item) => item.id)).toEqual([input.id, second?.id]);
      expect(await users.list(other)).toEqual([]);
    });

    it('updates role, disabled and password within the organization; counts enabled owners', async () => {
      const { users } = harness.stores();
      const orgId = await newOrg(harness);
      const owner = newUser(orgId, { role: 'owner' });
      await users.create(owner);
      const second = newUser(orgId, { role: 'owner' });
      await users.create(second);
      expect(await users.countOwners(orgId)).toBe(2);
      expect(
        await users.update(await newOrg(harness), second.id, { disabled: true, now: 3_000 }),
      ).toBeUndefined();
      const updated = await users.update(orgId, second.id, { disabled: true, now: 3_000 });
      expect(updated).toMatchObject({ disabled: true, role: 'owner', updatedAt: 3_000 });
      expect(await users.countOwners(orgId)).toBe(1);
      await users.update(orgId, second.id, {
        role: 'viewer',
        disabled: false,
        passwordHash: 'new',
        now: 4_000,
      });
      expect(await users.findByEmail(second.email)).toMatchObject({
        role: 'viewer',
        disabled: false,
        passwordHash: 'new',
      });
      expect(await users.delete(await newOrg(harness), second.id)).toBe(false);
      expect(await users.delete(orgId, second.id)).toBe(true);
      expect(await users.get(orgId, second.id)).toBeUndefined();
    });
  });

  describe(`ApiKeyStore [${name}]`, () => {
    it('finds a key only by its hash, lists it without the hash, and revokes it once', async () => {
      const { apiKeys } = harness.stores();
      const orgId = await newOrg(harness);
      const id = uniqueId('key');
      const hash = uniqueId('hash');
      const key = await apiKeys.create({
        id,
        orgId,
        name: 'ci',
        prefix: 'ak_abcd',
        keyHash: hash,
        role: 'viewer',
        createdBy: null,
        expiresAt: null,
        now: 1_000,
      });
      expect(key).toEqual({
        id,
        orgId,
        name: 'ci',
        prefix: 'ak_abcd',
        role: 'viewer',
        createdBy: null,
        createdAt: 1_000,
        lastUsedAt: null,
        expiresAt: null,
        revokedAt: null,
      });
      expect(await apiKeys.findByHash(hash)).toEqual(key);
      expect(await apiKeys.findByHash(`${hash}x`)).toBeUndefined();
      expect(await apiKeys.list(orgId)).toEqual([key]);
      expect(await apiKeys.revoke(await newOrg(harness), id, 2_000)).toBeUndefined();
      expect((await apiKeys.revoke(orgId, id, 2_000))?.revokedAt).toBe(2_000);
      expect((await apiKeys.revoke(orgId, id, 3_000))?.revokedAt).toBe(2_000);
      expect((await apiKeys.findByHash(hash))?.revokedAt).toBe(2_000);
    });

    it('records a use at most once per interval', async () => {
      const { apiKeys } = harness.stores();
      const orgId = await newOrg(harness);
      const id = uniqueId('key');
      const hash = uniqueId('hash');
      await apiKeys.create({
        id,
        orgId,
        name: 'ci',
        prefix: 'ak_x',
        keyHash: hash,
        role: 'admin',
        createdBy: null,
        expiresAt: 9_000,
        now: 1_000,
      });
      await apiKeys.touch(id, 2_000, 60_000);
      await apiKeys.touch(id, 3_000, 60_000);
      expect((await apiKeys.findByHash(hash))?.lastUsedAt).toBe(2_000);
      await apiKeys.touch(id, 62_000, 60_000);
      expect((await apiKeys.findByHash(hash))?.lastUsedAt).toBe(62_000);
    });
  });

  describe(`SessionStore [${name}]`, () => {
    const startSession = async () => {
      const { users, sessions } = harness.stores();
      const orgId = await newOrg(harness);
      const user = newUser(orgId);
      await users.create(user);
      const first = uniqueId('rt');
      const session = await sessions.start({
        id: uniqueId('ses'),
        orgId,
        userId: user.id,
        expiresAt: 100_000,
        token: { id: uniqueId('tok'), hash: first },
        now: 1_000,
      });
      return { session, first, user, orgId };
    };

    it('rotates a refresh token once; the spent token presented again revokes the session', async () => {
      const { sessions } = harness.stores();
      const { session, first } = await startSession();
      expect(session).toMatchObject({ createdAt: 1_000, expiresAt: 100_000, revokedAt: null });
      const second = uniqueId('rt');
      expect(await sessions.rotate(first, { id: uniqueId('tok'), hash: second }, 2_000)).toEqual({
        outcome: 'rotated',
        session,
      });
      const third = uniqueId('rt');
      expect((await sessions.rotate(second, { id: uniqueId('tok'), hash: third }, 3_000)).outcome).toBe(
        'rotated',
      );
      const reuse = await sessions.rotate(first, { id: uniqueId('tok'), hash: uniqueId('rt') }, 4_000);
      expect(reuse).toMatchObject({
        outcome: 'reused',
        session: { revokedAt: 4_000, revokedReason: 'reuse' },
      });
      // The whole family is over: even the current token no longer rotates.
      expect(
        (await sessions.rotate(third, { id: uniqueId('tok'), hash: uniqueId('rt') }, 5_000)).outcome,
      ).toBe('invalid');
      expect(await sessions.get(session.id)).toMatchObject({ revokedAt: 4_000, revokedReason: 'reuse' });
    });

    it('of two concurrent presentations of one token, exactly one rotates', async () => {
      const { sessions } = harness.stores();
      const { first } = await startSession();
      const outcomes = await Promise.all(
        [1, 2].map(() => sessions.rotate(first, { id: uniqueId('tok'), hash: uniqueId('rt') }, 2_000)),
      );
      expect(outcomes.map((result) => result.outcome).sort()).toEqual(['reused', 'rotated']);
    });

    it('refuses unknown tokens, expired sessions and revoked ones; revokes per user', async () => {
      const { sessions } = harness.stores();
      expect((await sessions.rotate('nope', { id: uniqueId('tok'), hash: uniqueId('rt') }, 1)).outcome).toBe(
        'invalid',
      );
      const expiring = await startSession();
      expect(
        (await sessions.rotate(expiring.first, { id: uniqueId('tok'), hash: uniqueId('rt') }, 100_000))
          .outcome,
      ).toBe('invalid');
      const revoked = await startSession();
      expect(await sessions.revoke(revoked.session.id, 'logout', 2_000)).toBe(true);
      expect(await sessions.revoke(revoked.session.id, 'logout', 3_000)).toBe(false);
      expect(
        (await sessions.rotate(revoked.first, { id: uniqueId('tok'), hash: uniqueId('rt') }, 2_500)).outcome,
      ).toBe('invalid');
      const user = await startSession();
      expect(await sessions.revokeForUser(await newOrg(harness), user.user.id, 'disabled', 2_000)).toBe(0);
      expect(await sessions.revokeForUser(user.orgId, user.user.id, 'disabled', 2_000)).toBe(1);
      expect(await sessions.get(user.session.id)).toMatchObject({ revokedReason: 'disabled' });
      expect(await sessions.get('ses_unknown')).toBeUndefined();
    });
  });

  describe(`LoginThrottleStore [${name}]`, () => {
    const policy: ThrottlePolicy = { limit: 3, windowMs: 1_000, lockMs: 5_000 };

    it('locks a key at the limit within its window, and starts a new window after it', async () => {
      const { loginThrottle } = harness.stores();
      const key = uniqueId('account');
      expect(await loginThrottle.fail(key, policy, 10_000)).toEqual({
        failures: 1,
        windowStartedAt: 10_000,
        lockedUntil: null,
      });
      await loginThrottle.fail(key, policy, 10_100);
      expect(await loginThrottle.fail(key, policy, 10_200)).toEqual({
        failures: 3,
        windowStartedAt: 10_000,
        lockedUntil: 15_200,
      });
      // After the window, counting starts again; the lock already set stays until it passes.
      expect(await loginThrottle.fail(key, policy, 11_000)).toEqual({
        failures: 1,
        windowStartedAt: 11_000,
        lockedUntil: 15_200,
      });
      const other = uniqueId('ip');
      expect((await loginThrottle.get([key, other])).get(key)).toMatchObject({ failures: 1 });
      expect((await loginThrottle.get([key, other])).has(other)).toBe(false);
      await loginThrottle.clear(key);
      expect((await loginThrottle.get([key])).size).toBe(0);
    });

    it('counts every one of many concurrent failures', async () => {
      const { loginThrottle } = harness.stores();
      const key = uniqueId('account');
      const wide: ThrottlePolicy = { limit: 100, windowMs: 60_000, lockMs: 1_000 };
      await Promise.all(Array.from({ length: 20 }, () => loginThrottle.fail(key, wide, 10_000)));
      expect((await loginThrottle.get([key])).get(key)?.failures).toBe(20);
    });
  });

  describe(`RunQuotaStore [${name}]`, () => {
    it('counts the organization’s queued and running runs only', async () => {
      const { runs, runQuota } = harness.stores();
      const orgId = await newOrg(harness);
      const other = await newOrg(harness);
      expect(await runQuota.activeRuns(orgId)).toBe(0);
      const created = [];
      for (let index = 0; index < 3; index += 1)
        created.push((await runs.create(await newRun(harness, { orgId }))).run);
      await runs.create(await newRun(harness, { orgId: other }));
      expect(await runQuota.activeRuns(orgId)).toBe(3);
      const first = created[0];
      if (!first) throw new Error('no run');
      await runs.transition(
        orgId,
        first.id,
        { status: 'queued', version: first.version },
        {
          status: 'cancelled',
          reason: 'test',
          now: 2_000,
        },
      );
      expect(await runQuota.activeRuns(orgId)).toBe(2);
    });
  });
}
