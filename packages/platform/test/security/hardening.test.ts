/**
 * Abuse resistance of the HTTP surface (issue 11, item 7): oversized and deeply nested bodies, unknown
 * fields and SQL metacharacters answer 4xx in the error shape with no stack trace; security headers on
 * every answer; CORS off unless configured, and never reflecting an unlisted origin nor allowing
 * credentials; a WebSocket from a foreign origin is refused; request rates per user and per address
 * answer 429 with `Retry-After`, counted in Redis across replicas; an organization's flood of run
 * creates is refused beyond its quota while another organization's runs still start promptly.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountAuthenticator } from '../../src/api/auth.ts';
import { redisRateLimitStore } from '../../src/api/rate-limit.ts';
import type { Api } from '../../src/api/routes/route-deps.ts';
import { createApiServer } from '../../src/api/server.ts';
import type { SecureHarness } from './security-harness.ts';
import { expectCleanError, startSecureApi } from './security-harness.ts';

const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

describe('hostile requests [pglite]', () => {
  let harness: SecureHarness;
  let base: string;

  beforeAll(async () => {
    harness = await startSecureApi({ env: { AUTONOMA_CORS_ORIGINS: 'https://app.example.org' } });
    base = await harness.listen();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('a 10 MB body answers 413, through inject() and real HTTP, and nothing is created', async () => {
    const goal = 'x'.repeat(10 * 1024 * 1024);
    const injected = await harness.api.inject({
      method: 'POST',
      url: '/v1/runs',
      headers: { ...harness.as('operator'), 'content-type': 'application/json' },
      payload: JSON.stringify({ goal }),
    });
    expect(injected.statusCode).toBe(413);
    expectCleanError(injected.body);
    const real = await fetch(`${base}/v1/runs`, {
      method: 'POST',
      headers: { ...harness.as('operator'), 'content-type': 'application/json' },
      body: JSON.stringify({ goal }),
    });
    expect(real.status).toBe(413);
    expectCleanError(await real.text());
    const runs = await harness.app.services.runs.list(
      { orgId: harness.orgs.alpha, actor: 'test' },
      { limit: 10 },
    );
    expect(runs.some((run) => run.goal.text.length > 1000)).toBe(false);
  });

  it('1,000 levels of nested JSON answer 400 before the parser recurses', async () => {
    const nested = `${'['.repeat(1000)}${']'.repeat(1000)}`;
    for (const payload of [
      `{"goal":"deep","spec":${nested}}`,
      `${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}`,
    ]) {
      const response = await fetch(`${base}/v1/runs`, {
        method: 'POST',
        headers: { ...harness.as('operator'), 'content-type': 'application/json' },
        body: payload,
      });
      expect(response.status).toBe(400);
      expect(expectCleanError(await response.text()).message).toMatch(/nested deeper/);
    }
  });

  it('unknown fields in a body or a query answer 400 naming them', async () => {
    const body = await harness.api.inject({
      method: 'POST',
      url: '/v1/agents',
      headers: harness.as('owner'),
      payload: { name: 'extra', tools: [], isAdmin: true },
    });
    expect(body.statusCode).toBe(400);
    expect(expectCleanError(body.body).message).toMatch(/unknown field.*isAdmin/);
    const query = await harness.api.inject({
      url: '/v1/runs?sort=goal&order=desc',
      headers: harness.as('owner'),
    });
    expect(query.statusCode).toBe(400);
    expect(expectCleanError(query.body).message).toMatch(/unknown field/);
  });

  it('SQL metacharacters in filters, cursors and sort are values: 4xx or no rows, never SQL', async () => {
    const scope = { orgId: harness.orgs.alpha, actor: 'test' };
    await harness.app.services.runs.start(scope, { goal: 'a run that must survive' });
    const hostile = [
      "' OR '1'='1",
      "'; DROP TABLE runs; --",
      '1) UNION SELECT password_hash FROM users --',
      '\\x00',
      '%27%3B',
    ];
    for (const value of hostile) {
      const encoded = encodeURIComponent(value);
      for (const url of [
        `/v1/runs?status=${encoded}`,
        `/v1/runs?agent=${encoded}`,
        `/v1/runs?parentRunId=${encoded}`,
        `/v1/runs?cursor=${encoded}`,
        `/v1/runs?sort=${encoded}`,
        `/v1/audit?action=${encoded}`,
        `/v1/audit?target=${encoded}`,
        `/v1/memories?agent=${encoded}`,
        `/v1/memories/search?q=${encoded}`,
        `/v1/agents/${encoded}`,
        `/v1/runs/${encoded}`,
      ]) {
        const response = await harness.api.inject({ url, headers: harness.as('owner') });
        expect(response.statusCode, url).toBeLessThan(500);
        // An error may quote the client's own value back; nothing else of SQL may appear.
        if (response.statusCode >= 400)
          expectCleanError(response.body.replaceAll(JSON.stringify(value).slice(1, -1), '<value>'));
        else {
          const items = (response.json<{ items?: { goal?: string }[] }>().items ?? []) as unknown[];
          expect(JSON.stringify(items), url).not.toMatch(/password|\$argon2/);
          if (url.startsWith('/v1/runs?')) expect(items, url).toEqual([]);
        }
      }
    }
    // The table and its rows are still there.
    const runs = await harness.app.services.runs.list(scope, { limit: 100 });
    expect(runs.some((run) => run.goal.text === 'a run that must survive')).toBe(true);
  });

  it('every answer carries the security headers, errors and docs included', async () => {
    for (const url of ['/healthz', '/v1/runs', '/v1/nothing-here', '/openapi.json']) {
      const response = await fetch(`${base}${url}`);
      expect(response.headers.get('x-content-type-options'), url).toBe('nosniff');
      expect(response.headers.get('x-frame-options'), url).toBe('SAMEORIGIN');
      expect(response.headers.get('content-security-policy'), url).toContain("frame-ancestors 'none'");
      expect(response.headers.get('cross-origin-opener-policy'), url).toBe('same-origin');
      expect(response.headers.get('x-powered-by'), url).toBeNull();
    }
  });

  it('CORS: a listed origin is echoed without credentials; any other gets nothing', async () => {
    const preflight = (origin: string) =>
      fetch(`${base}/v1/runs`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const listed = await preflight('https://app.example.org');
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://app.example.org');
    expect(listed.headers.get('access-control-allow-credentials')).toBeNull();
    for (const origin of ['https://evil.example.com', 'null', 'https://app.example.org.evil.com']) {
      const foreign = await preflight(origin);
      expect(foreign.headers.get('access-control-allow-origin'), origin).not.toBe(origin);
      expect(foreign.headers.get('access-control-allow-origin'), origin).not.toBe('*');
      const simple = await fetch(`${base}/v1/runs`, { headers: { origin, ...harness.as('viewer') } });
      expect(simple.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(simple.headers.get('access-control-allow-credentials'), origin).toBeNull();
    }
  });

  it('a WebSocket from a foreign origin is refused (and audited); the server’s own origin is not', async () => {
    const run = await harness.app.services.runs.start(
      { orgId: harness.orgs.alpha, actor: 'test' },
      { goal: 'a run to watch' },
    );
    const open = (origin: string): Promise<string> =>
      new Promise((resolve) => {
        const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/v1/runs/${run.id}/ws`, {
          headers: { ...harness.as('viewer'), origin },
        } as never);
        socket.addEventListener('open', () => {
          socket.close();
          resolve('open');
        });
        socket.addEventListener('error', () => resolve('refused'));
      });
    expect(await open('https://evil.example.com')).toBe('refused');
    expect(await open(base)).toBe('open');
    const denied = await harness.app.services.audit.list(
      { orgId: harness.orgs.alpha, actor: 'test' },
      { action: 'access.denied', limit: 1000 },
    );
    expect(denied.some((entry) => String(entry.detail['reason']).includes('evil.example.com'))).toBe(true);
  });
});

describe('no CORS unless configured [pglite]', () => {
  it('answers no Access-Control header to any origin', async () => {
    const harness = await startSecureApi();
    try {
      const response = await harness.api.inject({
        method: 'OPTIONS',
        url: '/v1/runs',
        headers: { origin: 'https://app.example.org', 'access-control-request-method': 'GET' },
      });
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
      const simple = await harness.api.inject({
        url: '/v1/runs',
        headers: { origin: 'https://app.example.org', ...harness.as('viewer') },
      });
      expect(simple.statusCode).toBe(200);
      expect(simple.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await harness.close();
    }
  });
});

describe('request rates and run quotas [pglite]', () => {
  let harness: SecureHarness;
  let prefix: string;
  let replica: Api;

  beforeAll(async () => {
    prefix = `autonoma:test:${randomUUID()}:`;
    harness = await startSecureApi({
      env: { AUTONOMA_RATE_LIMIT: '30', AUTONOMA_RATE_LIMIT_IP: '1000', AUTONOMA_ORG_RUN_QUOTA: '25' },
      server: { rateLimitStore: await redisRateLimitStore(redisUrl, prefix) },
    });
    // A second replica of the same app, counting in the same Redis.
    replica = await createApiServer(harness.app, {
      authenticators: [accountAuthenticator(harness.app.services.auth)],
      rateLimitStore: await redisRateLimitStore(redisUrl, prefix),
    });
    await replica.ready();
  });
  afterAll(async () => {
    await replica?.close();
    await harness?.close();
  });

  it('per user: 429 with Retry-After past the limit, counted across replicas in Redis; others go on', async () => {
    const statuses: number[] = [];
    let limited: { retryAfter: string | undefined; body: string } | undefined;
    for (let index = 0; index < 40; index += 1) {
      // Alternating replicas: each alone sees 20 requests, under the limit of 30.
      const server = index % 2 === 0 ? harness.api : replica;
      const response = await server.inject({ url: '/v1/agents', headers: harness.as('viewer') });
      statuses.push(response.statusCode);
      if (response.statusCode === 429 && !limited)
        limited = { retryAfter: response.headers['retry-after'] as string | undefined, body: response.body };
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(30);
    expect(statuses.slice(30).every((status) => status === 429)).toBe(true);
    expect(Number(limited?.retryAfter)).toBeGreaterThan(0);
    expect(Number(limited?.retryAfter)).toBeLessThanOrEqual(60);
    expect(expectCleanError(limited?.body ?? '').code).toBe('rate_limited');
    // Another user of the same organization, from the same address, is not limited.
    expect((await replica.inject({ url: '/v1/agents', headers: harness.as('operator') })).statusCode).toBe(
      200,
    );
  });

  it('per address: 429 once one address exceeds its limit, whoever it signs in as', async () => {
    const limitedReplica = await createApiServer(harness.app, {
      authenticators: [accountAuthenticator(harness.app.services.auth)],
      rateLimitStore: await redisRateLimitStore(redisUrl, `${prefix}ip:`),
    });
    try {
      await limitedReplica.ready();
      const address = '203.0.113.7';
      const statuses: number[] = [];
      for (let index = 0; index < 1005; index += 1) {
        const response = await limitedReplica.inject({ url: '/healthz', remoteAddress: address });
        statuses.push(response.statusCode);
      }
      // Probes are never limited, so that a flooded server still answers its orchestrator.
      expect(statuses.every((status) => status === 200)).toBe(true);
      const counted: number[] = [];
      for (let index = 0; index < 1005; index += 1) {
        const response = await limitedReplica.inject({ url: '/v1/nothing', remoteAddress: address });
        counted.push(response.statusCode);
      }
      expect(counted.slice(0, 1000).every((status) => status === 404)).toBe(true);
      expect(counted.slice(1000)).toEqual([429, 429, 429, 429, 429]);
      const other = await limitedReplica.inject({ url: '/v1/nothing', remoteAddress: '203.0.113.8' });
      expect(other.statusCode).toBe(404);
    } finally {
      await limitedReplica.close();
    }
  });

  it('a flood of creates from one organization is refused beyond its quota; another still gets in', async () => {
    const flood = Array.from({ length: 300 }, (_, index) =>
      harness.api.inject({
        method: 'POST',
        url: '/v1/runs',
        headers: harness.as('key:operator'),
        payload: { goal: `flood ${index}` },
      }),
    );
    // Beta creates in the middle of alpha's flood: alpha's quota is not beta's. (How soon beta's runs
    // start under such a flood is measured by test/jobs/fairness.test.ts, with no clock threshold.)
    const beta = await harness.api.inject({
      method: 'POST',
      url: '/v1/runs',
      headers: harness.as('key:stranger'),
      payload: { goal: 'beta goes on' },
    });
    const answers = await Promise.all(flood);
    expect(beta.statusCode).toBe(201);
    const created = answers.filter((answer) => answer.statusCode === 201).length;
    const refused = answers.filter((answer) => answer.statusCode === 429);
    // Exactly the quota got in: it is counted in the transaction that stores each run, under the
    // organization's lock, so concurrent creates cannot pass it.
    expect(created).toBe(25);
    expect(refused).toHaveLength(300 - 25);
    expect(Number(refused[0]?.headers['retry-after'])).toBeGreaterThan(0);
    expect(expectCleanError(refused[0]?.body ?? '').code).toBe('rate_limited');
    const active = await harness.app.services.runs.list(
      { orgId: harness.orgs.alpha, actor: 'test' },
      { status: ['queued', 'running'], limit: 1000 },
    );
    expect(active.length).toBe(created);
  });
});
