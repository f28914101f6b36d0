/**
 * The dashboard served by the API (api/dashboard.ts): its files, its page for every app path with the
 * strict CSP, and the API's own routes untouched by the catch-all. Also the replay and plans routes the
 * dashboard uses.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardContentSecurityPolicy } from '../../src/api/dashboard.ts';
import type { ApiHarness } from './api-harness.ts';
import { as, expectErrorShape, startApi } from './api-harness.ts';

const page =
  '<!doctype html><html><head><script type="module" src="/assets/app-1234.js"></script></head></html>';

let harness: ApiHarness;
beforeAll(async () => {
  const dist = mkdtempSync(join(tmpdir(), 'autonoma-dist-'));
  mkdirSync(join(dist, 'assets'));
  mkdirSync(join(dist, '.vite'));
  writeFileSync(join(dist, 'index.html'), page);
  writeFileSync(join(dist, 'assets', 'app-1234.js'), 'console.log("app")');
  writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dist, '.vite', 'manifest.json'), '{}');
  harness = await startApi('pglite', { server: { dashboard: dist } });
});
afterAll(async () => harness?.close());

describe('the dashboard at /', () => {
  it.each(['/', '/runs', '/runs/run_abc', '/agents/new', '/chat/conv_1', '/audit?action=x'])(
    'answers the app page at %s with the strict CSP',
    async (url) => {
      const response = await harness.api.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.body).toBe(page);
      const csp = String(response.headers['content-security-policy']);
      expect(csp).toBe(dashboardContentSecurityPolicy);
      // What the issue asks the policy to stop: images to other hosts, inline script.
      expect(csp).toContain("img-src 'self' data:");
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).not.toContain('unsafe-inline');
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['cache-control']).toBe('no-cache');
    },
  );

  it('serves built assets as immutable files, and nothing else from dist', async () => {
    const asset = await harness.api.inject({ method: 'GET', url: '/assets/app-1234.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toBe('console.log("app")');
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await harness.api.inject({ method: 'GET', url: '/favicon.svg' })).statusCode).toBe(200);
    // Dot files (the build manifest) and missing files are 404s in the error shape, not the app page.
    for (const url of ['/.vite/manifest.json', '/assets/missing.js']) {
      const response = await harness.api.inject({ method: 'GET', url, headers: { accept: '*/*' } });
      expect(response.statusCode, url).toBe(404);
      expect(expectErrorShape(response.body).code).toBe('not_found');
    }
  });

  it('leaves the API, health and docs routes as they were', async () => {
    const unknown = await harness.api.inject({
      method: 'GET',
      url: '/v1/nope',
      headers: { accept: 'text/html' },
    });
    expect(unknown.statusCode).toBe(404);
    expect(expectErrorShape(unknown.body).code).toBe('not_found');
    const runs = await harness.api.inject({ method: 'GET', url: '/v1/runs', headers: as('owner') });
    expect(runs.statusCode).toBe(200);
    expect(runs.json()).toHaveProperty('items');
    expect((await harness.api.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const openapi = await harness.api.inject({ method: 'GET', url: '/openapi.json' });
    expect(openapi.statusCode).toBe(200);
    expect(Object.keys(openapi.json().paths as object)).toContain('/v1/runs/{id}/replay');
    // A JSON client asking for an app path gets a 404, not HTML.
    const json = await harness.api.inject({
      method: 'GET',
      url: '/runs',
      headers: { accept: 'application/json' },
    });
    expect(json.statusCode).toBe(404);
  });
});

describe('routes the dashboard uses', () => {
  it('replays a finished run, and refuses a run that has not ended', async () => {
    const scope = harness.app.localScope;
    const run = await harness.app.services.runs.start(scope, { goal: 'nothing to do' });
    const early = await harness.api.inject({
      method: 'POST',
      url: `/v1/runs/${run.id}/replay`,
      headers: as('owner'),
    });
    expect(early.statusCode).toBe(400);
    expect(expectErrorShape(early.body).message).toContain('has not ended');
    await harness.app.services.runs.advance(scope, run.id);
    const finished = await harness.app.services.runs.get(scope, run.id);
    expect(finished.finalizedAt).not.toBeNull();
    const replay = await harness.api.inject({
      method: 'POST',
      url: `/v1/runs/${run.id}/replay`,
      headers: as('viewer'),
    });
    expect(replay.statusCode).toBe(200);
    const report = replay.json() as { matches: boolean; status: string; recordedSteps: number };
    expect(report.matches).toBe(true);
    expect(report.status).toBe(finished.status);
    expect(report.recordedSteps).toBe(finished.stepCount);
  });

  it('lists reusable plans per agent', async () => {
    const response = await harness.api.inject({
      method: 'GET',
      url: '/v1/memories/plans?agent=default',
      headers: as('viewer'),
    });
    expect(response.statusCode).toBe(200);
    expect(Array.isArray((response.json() as { items: unknown[] }).items)).toBe(true);
    const unknown = await harness.api.inject({
      method: 'GET',
      url: '/v1/memories/plans?agent=nobody',
      headers: as('viewer'),
    });
    expect(unknown.statusCode).toBe(404);
  });
});
