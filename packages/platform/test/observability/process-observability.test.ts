/**
 * The observability a long-running process builds (`autonoma serve`, `autonoma worker`), wired the way
 * they wire it: the real API server over an app given that observability counts rate-limit refusals
 * and failed sign-ins from the errors requests raise, times requests by route, serves `/metrics` on its
 * port and on METRICS_PORT, and logs every request line with its request id; the job logger counts the
 * sweeper's requeues.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountAuthenticator } from '../../src/api/auth.ts';
import type { Api } from '../../src/api/routes/route-deps.ts';
import { createApiServer } from '../../src/api/server.ts';
import type { App } from '../../src/app.ts';
import { createSweeper } from '../../src/jobs/sweeper.ts';
import type { ProcessObservability } from '../../src/observability/process-observability.ts';
import {
  observedJobLogger,
  startProcessObservability,
  sweeperRequeueMessage,
} from '../../src/observability/process-observability.ts';
import { freePort } from '../support/redis.ts';
import type { Exposition } from './observability-harness.ts';
import {
  fixtureConfig,
  parseExposition,
  startApp,
  startToolModel,
  valueOf,
} from './observability-harness.ts';
import type { Fixture } from '../fixtures/openai-server.ts';

const secret = 'sk-process-canary-91be27';

describe('the observability of a long-running process [pglite]', () => {
  let fixture: Fixture;
  let observed: ProcessObservability;
  let app: App;
  let api: Api;
  let lines: string[] = [];
  let exposition: Exposition;
  let fromPort = '';

  beforeAll(async () => {
    fixture = await startToolModel([]);
    const metricsPort = await freePort();
    const config = fixtureConfig(fixture, {
      AUTONOMA_RATE_LIMIT_IP: '3',
      AUTONOMA_MODEL_API_KEY: secret,
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'info',
      AUTONOMA_LOG_FORMAT: 'json',
    });
    const output: string[] = [];
    observed = await startProcessObservability(config, {
      role: 'api',
      logDestination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          output.push(chunk.toString());
          done();
        },
      }),
    });
    app = await startApp(config, { observability: observed.observability });
    api = await createApiServer(app, { authenticators: [accountAuthenticator(app.services.auth)] });

    const login = await api.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: 'nobody@example.com', password: `wrong ${secret}` },
    });
    expect(login.statusCode).toBe(401);
    // Three requests a minute from one address (the sign-in was the first): the fourth is refused.
    const statuses: number[] = [];
    for (let index = 0; index < 3; index += 1)
      statuses.push((await api.inject({ method: 'GET', url: '/v1/runs' })).statusCode);
    expect(statuses).toEqual([401, 401, 429]);

    // A run queued without its job: the sweeper writes one, and the job logger counts it.
    await app.services.runs.start(app.localScope, { goal: 'left without a job' });
    const report = await createSweeper({
      db: app.database.executor,
      clock: app.clock,
      graceMs: 0,
      logger: observedJobLogger(observed.observability.logger, observed.observability.metrics),
    }).sweep();
    expect(report.requeued).toHaveLength(1);

    const scraped = await api.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.0.0.9' });
    expect(scraped.statusCode).toBe(200);
    exposition = parseExposition(scraped.body);
    fromPort = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    observed.observability.logger?.flush();
    lines = output.join('').split('\n').filter(Boolean);
  });

  afterAll(async () => {
    await api?.close();
    await app?.close();
    await observed?.close();
    await fixture?.close();
  });

  it('counts failed sign-ins and rate-limit refusals from the errors the requests raised', () => {
    expect(valueOf(exposition, 'autonoma_login_failures_total')).toBe(1);
    expect(valueOf(exposition, 'autonoma_rate_limited_total')).toBe(1);
  });

  it('times the API requests by route template and status', () => {
    expect(
      valueOf(exposition, 'autonoma_http_request_duration_seconds_count', {
        route: '/v1/auth/login',
        method: 'POST',
        status: '401',
      }),
    ).toBe(1);
    expect(
      valueOf(exposition, 'autonoma_http_request_duration_seconds_count', {
        route: '/v1/runs',
        method: 'GET',
        status: '429',
      }),
    ).toBe(1);
  });

  it("counts the sweeper's requeues through the job logger", () => {
    expect(valueOf(exposition, 'autonoma_sweeper_requeues_total')).toBe(1);
    expect(lines.some((line) => line.includes(sweeperRequeueMessage))).toBe(true);
  });

  it('serves the same registry on METRICS_PORT', () => {
    expect(fromPort).toMatch(/^autonoma_login_failures_total 1$/m);
    expect(fromPort).toMatch(/^autonoma_sweeper_requeues_total 1$/m);
  });

  it('logs JSON lines, each request line with its request id, and never the secret', () => {
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requestLines = parsed.filter((line) => line['msg'] === 'request completed');
    expect(requestLines.length).toBeGreaterThanOrEqual(4);
    expect(requestLines.every((line) => typeof line['requestId'] === 'string')).toBe(true);
    expect(parsed.every((line) => line['service'] === 'autonoma-api')).toBe(true);
    expect(lines.join('\n')).not.toContain(secret);
  });
});
