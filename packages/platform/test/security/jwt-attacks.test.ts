/**
 * Access tokens accept one algorithm (HS256) and one key, through `inject()` and over real HTTP: a
 * token with `alg: none`, another algorithm, another key, a changed payload, times beyond the 60 s
 * skew, a refresh token in its place, or a key offered in `jku`/`x5u`/`jwk` is refused (401) — and the
 * offered key locations are never fetched.
 */
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecureHarness } from './security-harness.ts';
import { expectCleanError, startSecureApi } from './security-harness.ts';

const secret = 's'.repeat(24) + 'the-signing-key-of-this-test';
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const hmac = (algorithm: string, key: string, input: string): string =>
  createHmac(algorithm, key).update(input).digest('base64url');

/** A token from parts, signed as asked (`none`: no signature). */
function forge(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key = secret,
  algorithm = 'sha256',
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${algorithm === 'none' ? '' : hmac(algorithm, key, input)}`;
}

describe('JWT attacks on access tokens [pglite]', () => {
  let harness: SecureHarness;
  let base: string;
  let claims: Record<string, unknown>;
  const fetched: string[] = [];
  let keyServer: ReturnType<typeof createServer>;
  let keyServerUrl: string;

  beforeAll(async () => {
    harness = await startSecureApi({ env: { AUTONOMA_JWT_SECRET: secret } });
    base = await harness.listen();
    const [, payload] = harness.people.operator.tokens.accessToken.split('.');
    claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
    // Where a forged token says its key is: any request here is an outbound fetch the server made.
    keyServer = createServer((request, response) => {
      fetched.push(request.url ?? '');
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ keys: [{ kty: 'oct', k: Buffer.from('attacker').toString('base64url') }] }),
      );
    });
    await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
    keyServerUrl = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await harness?.close();
    await new Promise<void>((resolve) => keyServer.close(() => resolve()));
  });

  const nowSeconds = (): number => Math.floor(harness.clock.now() / 1000);
  const valid = (changes: Record<string, unknown> = {}): Record<string, unknown> => ({
    ...claims,
    iat: nowSeconds(),
    nbf: nowSeconds(),
    exp: nowSeconds() + 600,
    ...changes,
  });

  /** The status of `GET /v1/runs` with `token`, through inject and over HTTP (both must agree). */
  async function statusWith(token: string): Promise<number> {
    const injected = await harness.api.inject({
      url: '/v1/runs',
      headers: { authorization: `Bearer ${token}` },
    });
    const fetchedOver = await fetch(`${base}/v1/runs`, { headers: { authorization: `Bearer ${token}` } });
    const text = await fetchedOver.text();
    expect(fetchedOver.status).toBe(injected.statusCode);
    if (injected.statusCode === 401) {
      expect(expectCleanError(injected.body).code).toBe('unauthorized');
      expect(expectCleanError(text).code).toBe('unauthorized');
    }
    return injected.statusCode;
  }

  it('accepts a well-formed HS256 token with the server’s key (the control case)', async () => {
    expect(await statusWith(forge({ alg: 'HS256', typ: 'JWT' }, valid()))).toBe(200);
    expect(await statusWith(harness.people.operator.tokens.accessToken)).toBe(200);
  });

  it('refuses alg:none, with or without a signature, in any letter case', async () => {
    for (const alg of ['none', 'None', 'NONE']) {
      expect(await statusWith(forge({ alg, typ: 'JWT' }, valid(), secret, 'none')), alg).toBe(401);
      expect(await statusWith(forge({ alg, typ: 'JWT' }, valid())), `${alg} signed`).toBe(401);
    }
  });

  it('refuses another algorithm, even keyed with the server’s own secret', async () => {
    expect(await statusWith(forge({ alg: 'HS384', typ: 'JWT' }, valid(), secret, 'sha384'))).toBe(401);
    expect(await statusWith(forge({ alg: 'HS512', typ: 'JWT' }, valid(), secret, 'sha512'))).toBe(401);
    // Key confusion: an RS256 header over an HMAC made with the secret.
    expect(await statusWith(forge({ alg: 'RS256', typ: 'JWT' }, valid()))).toBe(401);
    expect(await statusWith(forge({ alg: 'ES256', typ: 'JWT' }, valid()))).toBe(401);
  });

  it('refuses a token signed with another key, and a signed token whose payload was changed', async () => {
    expect(
      await statusWith(forge({ alg: 'HS256', typ: 'JWT' }, valid(), 'another-key-another-key-another-key')),
    ).toBe(401);
    const genuine = forge({ alg: 'HS256', typ: 'JWT' }, valid());
    const [header, , signature] = genuine.split('.');
    const escalated = `${header}.${b64(valid({ org: harness.orgs.beta }))}.${signature}`;
    expect(await statusWith(escalated)).toBe(401);
    expect(await statusWith(`${genuine.slice(0, -2)}AA`)).toBe(401);
  });

  it('refuses an expired token and a not-yet-valid one beyond 60 s of skew, and accepts them within it', async () => {
    // 30 s either side of the 60 s skew: the clock keeps running while the requests are answered
    // (seconds on a loaded machine), so a bound of 61 s could fall inside the skew by the time it is read.
    const now = nowSeconds();
    expect(await statusWith(forge({ alg: 'HS256' }, valid({ exp: now - 90 })))).toBe(401);
    expect(await statusWith(forge({ alg: 'HS256' }, valid({ exp: now - 30 })))).toBe(200);
    expect(await statusWith(forge({ alg: 'HS256' }, valid({ nbf: now + 90 })))).toBe(401);
    expect(await statusWith(forge({ alg: 'HS256' }, valid({ nbf: now + 30 })))).toBe(200);
    expect(await statusWith(forge({ alg: 'HS256' }, valid({ iat: now + 120 })))).toBe(401);
  });

  it('refuses a real access token once the clock is past its expiry plus the skew', async () => {
    const pair = await harness.login('viewer');
    expect(await statusWith(pair.accessToken)).toBe(200);
    harness.clock.advance(pair.expiresIn * 1000 + 61_000);
    try {
      expect(await statusWith(pair.accessToken)).toBe(401);
    } finally {
      harness.clock.advance(-(pair.expiresIn * 1000 + 61_000));
    }
  });

  it('refuses a refresh token used as an access token, and a token of another type', async () => {
    expect(await statusWith(harness.people.operator.tokens.refreshToken)).toBe(401);
    expect(await statusWith(forge({ alg: 'HS256' }, valid({ typ: 'refresh' })))).toBe(401);
    expect(await statusWith(forge({ alg: 'HS256' }, valid({ aud: 'someone-else' })))).toBe(401);
  });

  it('ignores jku, x5u and jwk: a token keyed by them is refused, and nothing is fetched', async () => {
    const attacker = 'attacker';
    const offered = [
      { alg: 'HS256', jku: `${keyServerUrl}/jwks.json` },
      { alg: 'HS256', x5u: `${keyServerUrl}/cert.pem` },
      { alg: 'HS256', jwk: { kty: 'oct', k: Buffer.from(attacker).toString('base64url') } },
      { alg: 'HS256', kid: '../../../../dev/null', jku: `${keyServerUrl}/kid` },
    ];
    for (const header of offered)
      expect(await statusWith(forge(header, valid(), attacker)), JSON.stringify(header)).toBe(401);
    // With the server's own key the same headers change nothing: they are ignored, not trusted.
    expect(await statusWith(forge({ alg: 'HS256', jku: `${keyServerUrl}/jwks.json` }, valid()))).toBe(200);
    expect(fetched).toEqual([]);
  });

  it('refuses malformed tokens with one clean 401', async () => {
    for (const token of ['a.b', 'a.b.c.d', '..', '!!!.@@@.###', `${b64({ alg: 'HS256' })}.not-json.sig`])
      expect(await statusWith(token), token).toBe(401);
  });
});
