/**
 * Guessing passwords does not work: failed sign-ins are throttled per account (whatever address they
 * come from) and per client address (whatever account they try), with 429 and `Retry-After`, and every
 * one is audited; the account's real owner gets in once the cooldown has passed. An unknown account and
 * a wrong password answer exactly alike. A forged `X-Forwarded-For` moves nothing unless the configured
 * proxy hops say so, and then only the hop the proxy appended counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecureHarness } from './security-harness.ts';
import { expectCleanError, startSecureApi } from './security-harness.ts';

const fifteenMinutes = 15 * 60_000;

describe('sign-in throttling [pglite]', () => {
  let harness: SecureHarness;
  beforeAll(async () => {
    harness = await startSecureApi();
  });
  afterAll(async () => {
    await harness?.close();
  });

  const login = (
    email: string,
    password: string,
    remoteAddress = '127.0.0.1',
    headers: Record<string, string> = {},
  ) =>
    harness.api.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email, password },
      remoteAddress,
      headers,
    });

  it('an unknown account and a wrong password give the same status and body', async () => {
    const unknown = await login('nobody-at-all@example.org', 'whatever-password', '10.1.0.1');
    const wrong = await login(harness.people.viewer.email, 'not-the-password', '10.1.0.2');
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    const { requestId: _a, ...unknownError } = expectCleanError(unknown.body);
    const { requestId: _b, ...wrongError } = expectCleanError(wrong.body);
    expect(unknownError).toEqual({
      code: 'invalid_credentials',
      message: 'the email or password is incorrect',
    });
    expect(wrongError).toEqual(unknownError);
    expect(Object.keys(unknown.headers).sort()).toEqual(Object.keys(wrong.headers).sort());
  });

  it('101 failed sign-ins on one account from rotating addresses: throttled with Retry-After, audited; the owner gets in after the cooldown', async () => {
    const target = harness.people.owner;
    const statuses: number[] = [];
    let retryAfter = '';
    for (let attempt = 0; attempt < 101; attempt += 1) {
      const response = await login(target.email, `guess-${attempt}`, `10.2.${attempt >> 8}.${attempt & 255}`);
      statuses.push(response.statusCode);
      if (response.statusCode === 429) {
        retryAfter = String(response.headers['retry-after']);
        expect(expectCleanError(response.body).code).toBe('rate_limited');
      }
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(91).fill(429));
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(900);

    // The right password changes nothing while the account is locked: the lock is not an oracle.
    expect((await login(target.email, target.password, '10.3.0.1')).statusCode).toBe(429);

    const { audit } = harness.app.database.stores;
    const failed = await audit.list({
      orgId: target.orgId,
      action: 'auth.login_failed',
      target: target.userId,
    });
    const throttled = await audit.list({
      orgId: target.orgId,
      action: 'auth.login_throttled',
      target: target.userId,
    });
    expect(failed).toHaveLength(10);
    expect(throttled).toHaveLength(92);
    for (const entry of [...failed, ...throttled]) {
      expect(entry.actor).toBe('anonymous');
      expect(entry.detail).toMatchObject({
        email: target.email,
        requestId: expect.any(String),
        ip: expect.stringMatching(/^10\./),
      });
    }
    expect(failed[0]?.detail).toMatchObject({ reason: 'wrong_password' });

    harness.clock.advance(fifteenMinutes + 1_000);
    const owner = await login(target.email, target.password, '10.3.0.2');
    expect(owner.statusCode).toBe(200);
    expect(
      await audit.list({ orgId: target.orgId, action: 'auth.login', target: target.userId }),
    ).not.toHaveLength(0);
    // Its failures are forgotten once it got in: one more mistake is an ordinary 401.
    expect((await login(target.email, 'one-typo', '10.3.0.3')).statusCode).toBe(401);
    expect((await login(target.email, target.password, '10.3.0.3')).statusCode).toBe(200);
  });

  it('100 failures from one address lock that address for every account, not other addresses', async () => {
    const address = '10.4.0.1';
    for (let attempt = 0; attempt < 100; attempt += 1)
      expect((await login(`unknown-${attempt}@example.org`, 'guess', address)).statusCode).toBe(401);
    const locked = await login(harness.people.operator.email, harness.people.operator.password, address);
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(
      (await login(harness.people.operator.email, harness.people.operator.password, '10.4.0.2')).statusCode,
    ).toBe(200);
    // Unknown accounts are audited too (in the deployment's first organization), with the address.
    const unknown = await harness.app.database.stores.audit.list({
      orgId: harness.orgs.alpha,
      action: 'auth.login_failed',
      target: 'email:unknown-7@example.org',
    });
    expect(unknown.map((entry) => entry.detail)).toEqual([
      expect.objectContaining({ reason: 'unknown_account', ip: address }),
    ]);
  });

  it('over real HTTP, a forged X-Forwarded-For gains nothing: the socket’s address is the one counted', async () => {
    const base = await harness.listen();
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 101; attempt += 1) {
      const response = await fetch(`${base}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${attempt % 250}` },
        body: JSON.stringify({ email: `forger-${attempt}@example.org`, password: 'guess' }),
      });
      statuses.push(response.status);
      await response.text();
    }
    expect(statuses.slice(0, 100)).toEqual(Array(100).fill(401));
    expect(statuses[100]).toBe(429);
    const audited = await harness.app.database.stores.audit.list({
      orgId: harness.orgs.alpha,
      action: 'auth.login_failed',
      target: 'email:forger-3@example.org',
    });
    expect(audited[0]?.detail).toMatchObject({ ip: '127.0.0.1' });
  });
});

describe('sign-in throttling behind one proxy (AUTONOMA_TRUST_PROXY_HOPS=1) [pglite]', () => {
  let harness: SecureHarness;
  beforeAll(async () => {
    harness = await startSecureApi({ env: { AUTONOMA_TRUST_PROXY_HOPS: '1' } });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('counts the address the proxy appended; what the client wrote before it is ignored', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 101; attempt += 1) {
      const response = await harness.api.inject({
        method: 'POST',
        url: '/v1/auth/login',
        remoteAddress: '10.9.0.1',
        // The client forges a new first hop each time; the proxy appends the real client, 198.51.100.7.
        headers: { 'x-forwarded-for': `192.0.2.${attempt % 250}, 198.51.100.7` },
        payload: { email: `proxied-${attempt}@example.org`, password: 'guess' },
      });
      statuses.push(response.statusCode);
    }
    expect(statuses[100]).toBe(429);
    // Another client behind the same proxy is not locked out.
    const other = await harness.api.inject({
      method: 'POST',
      url: '/v1/auth/login',
      remoteAddress: '10.9.0.1',
      headers: { 'x-forwarded-for': '198.51.100.8' },
      payload: { email: harness.people.viewer.email, password: harness.people.viewer.password },
    });
    expect(other.statusCode).toBe(200);
    const audited = await harness.app.database.stores.audit.list({
      orgId: harness.orgs.alpha,
      action: 'auth.login_failed',
      target: 'email:proxied-0@example.org',
    });
    expect(audited[0]?.detail).toMatchObject({ ip: '198.51.100.7' });
  });
});
