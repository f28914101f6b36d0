import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowlist } from './allowlist.ts';
import { checkTarget, openGuardedRequest, targetHost, targetPort } from './guarded-connect.ts';
import { SsrfBlockedError } from './guarded-lookup.ts';

const none = parseAllowlist([]);

describe('checkTarget', () => {
  it.each(['ftp://example.com/', 'file:///etc/passwd', 'gopher://example.com/'])(
    'refuses the scheme of %s',
    (text) => {
      expect(() => checkTarget(new URL(text), none)).toThrow(
        expect.objectContaining({ code: 'unsupported_scheme' }),
      );
    },
  );

  it.each([
    ['http://127.0.0.1/', '127.0.0.1'],
    ['http://2130706433/', '127.0.0.1'],
    ['https://0x7f.1:8443/', '127.0.0.1'],
    ['http://[::1]/', '::1'],
    ['http://[::ffff:169.254.169.254]/', '::ffff:a9fe:a9fe'],
  ])('refuses the IP literal of %s before connecting', (text, address) => {
    let refusal: unknown;
    try {
      checkTarget(new URL(text), none);
    } catch (error: unknown) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(SsrfBlockedError);
    expect((refusal as SsrfBlockedError).address).toBe(address);
  });

  it('leaves host names to the guarded lookup, and lets the allowlist open a literal at its port', () => {
    expect(() => checkTarget(new URL('http://localhost/'), none)).not.toThrow();
    const allow = parseAllowlist('127.0.0.1:8080');
    expect(() => checkTarget(new URL('http://127.0.0.1:8080/'), allow)).not.toThrow();
    expect(() => checkTarget(new URL('http://127.0.0.1:8081/'), allow)).toThrow(SsrfBlockedError);
  });

  it('derives the port from the scheme and drops IPv6 brackets', () => {
    expect(targetPort(new URL('https://example.com/'))).toBe(443);
    expect(targetPort(new URL('http://example.com/'))).toBe(80);
    expect(targetPort(new URL('http://example.com:8080/'))).toBe(8080);
    expect(targetHost(new URL('http://[fe80::1]:80/'))).toBe('fe80::1');
  });
});

describe('openGuardedRequest', () => {
  let server: Server;
  let port = 0;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((_request, response) => {
      hits += 1;
      response.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const get = (url: string, allow = none, resolver?: () => Promise<{ address: string; family: number }[]>) =>
    new Promise<string>((resolve, reject) => {
      const request = openGuardedRequest(new URL(url), { allow, resolver, method: 'GET', headers: {} });
      request.on('error', reject);
      request.on('response', (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        response.on('end', () => resolve(text));
      });
      request.end();
    });

  it('throws before connecting to a refused IP literal', async () => {
    const before = hits;
    await expect(get(`http://127.0.0.1:${port}/`)).rejects.toBeInstanceOf(SsrfBlockedError);
    expect(hits).toBe(before);
  });

  it('refuses a host name whose address is refused, and connects where the allowlist opens it', async () => {
    const resolver = () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
    const before = hits;
    await expect(get(`http://service.test:${port}/`, none, resolver)).rejects.toThrow(
      /service\.test \(127\.0\.0\.1\)/,
    );
    expect(hits).toBe(before);
    expect(await get(`http://service.test:${port}/`, parseAllowlist('service.test'), resolver)).toBe('ok');
    expect(await get(`http://127.0.0.1:${port}/`, parseAllowlist(`127.0.0.1:${port}`))).toBe('ok');
    expect(hits).toBe(before + 2);
  });
});
