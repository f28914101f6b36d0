/**
 * Prometheus metrics on real runs: `promtool check metrics` accepts the real output, every metric the
 * dashboards and alerts use (test/deploy/promql.ts) is exposed with its type and labels, and the
 * values follow what the runs did — steps, tool calls by outcome, model tokens, runs by status, the
 * store's gauges, lease losses and fenced commits, HTTP requests by route template.
 */
import { AgentSpec, defineTool, type Scope } from '@autonoma/core';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { App } from '../../src/app.ts';
import { installHttpObservability } from '../../src/observability/http-observability.ts';
import { metricsRoute, startMetricsServer } from '../../src/observability/metrics-http.ts';
import type { Observability } from '../../src/observability/observability.ts';
import { createObservability } from '../../src/observability/observability.ts';
import { metricCatalog } from '../deploy/promql.ts';
import type { Fixture } from '../fixtures/openai-server.ts';
import { waitFor } from '../support/wait-for.ts';
import type { Exposition } from './observability-harness.ts';
import {
  fixtureConfig,
  parseExposition,
  promtoolCheckMetrics,
  startApp,
  startToolModel,
  valueOf,
} from './observability-harness.ts';

const model = 'openai-compatible:fixture';

describe('metrics on real runs [pglite]', () => {
  let fixture: Fixture;
  let observability: Observability;
  let app: App;
  let scope: Scope;
  let text: string;
  let exposition: Exposition;
  let stepsCommitted = 0;

  beforeAll(async () => {
    fixture = await startToolModel([
      { name: 'memory_store', input: { text: 'the build server is called hermes' } },
      { name: 'fs_read', input: { path: 'no-such-file.txt' } },
    ]);
    const config = fixtureConfig(fixture);
    observability = await createObservability(config, { metrics: true });
    app = await startApp(config, { observability });
    scope = app.localScope;
    for (let index = 0; index < 3; index += 1) {
      const run = await app.services.runs.start(scope, { goal: `remember the build server, take ${index}` });
      const result = await app.services.runs.advanceTree(scope, run.id);
      expect(result.run.status).toBe('succeeded');
      stepsCommitted += result.run.stepCount;
    }
    // Ended outside a slice: counted when its end is written.
    const cancelled = await app.services.runs.start(scope, { goal: 'never mind' });
    await app.services.runs.cancel(scope, cancelled.id);
    // Waiting for a person: the gauge of approvals.
    await app.services.agents.put(
      scope,
      AgentSpec.parse({
        name: 'careful',
        approval: { minRisk: 'high', tools: ['memory_store'] },
      }),
    );
    const careful = await app.services.runs.start(scope, { goal: 'remember, carefully', agent: 'careful' });
    expect((await app.services.runs.advanceTree(scope, careful.id)).run.status).toBe('waiting_approval');
    // Queued with its job, which no worker takes here: the queue gauges.
    await app.services.runs.start(scope, { goal: 'later', priority: 'high', enqueue: true });
    await app.jobs.registry.register({
      id: 'wkr_test',
      hostname: 'test',
      pid: process.pid,
      version: '0.1.0',
      leaseOwner: 'owner_test',
      transport: 'local',
      queues: ['critical', 'high'],
      capabilities: [],
      concurrency: 1,
      startedAt: app.clock.now(),
    });

    // The API's view: requests by route template, method and status.
    const metrics = observability.metrics;
    if (!metrics) throw new Error('metrics were asked for');
    const api = Fastify();
    installHttpObservability(api, { metrics });
    await api.register(metricsRoute(metrics));
    api.get('/v1/runs/:id', async (request) => ({ id: (request.params as { id: string }).id }));
    api.get('/v1/boom', async () => {
      throw new Error('boom');
    });
    for (const url of ['/v1/runs/run_1', '/v1/runs/run_2', '/nowhere', '/v1/boom'])
      await api.inject({ method: 'GET', url });
    const scraped = await api.inject({ method: 'GET', url: '/metrics' });
    expect(scraped.statusCode).toBe(200);
    expect(scraped.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    await api.close();
    metrics.rateLimited();
    metrics.loginFailed();
    metrics.sweeperRequeue(2);

    text = await metrics.render();
    exposition = parseExposition(text);
  });

  afterAll(async () => {
    await app?.close();
    await observability?.close();
    await fixture?.close();
  });

  it('promtool check metrics accepts the real output', async () => {
    const result = await promtoolCheckMetrics(text);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  it('exposes every metric the dashboards and alerts use, with its type and labels', () => {
    const families = Object.entries(metricCatalog).filter(([name]) => name !== 'up');
    expect(families.length).toBeGreaterThan(15);
    for (const [name, family] of families) {
      expect(exposition.types.get(name), name).toBe(family.type);
      const series = exposition.samples.filter((sample) =>
        family.type === 'histogram' ? sample.name === `${name}_count` : sample.name === name,
      );
      expect(series.length, `${name} has samples`).toBeGreaterThan(0);
      for (const sample of series)
        expect(Object.keys(sample.labels).sort(), name).toEqual([...family.labels].sort());
    }
  });

  it('counts runs by status and agent, and times them', () => {
    expect(valueOf(exposition, 'autonoma_runs_total', { status: 'succeeded', agent: 'default' })).toBe(3);
    expect(valueOf(exposition, 'autonoma_runs_total', { status: 'cancelled', agent: 'default' })).toBe(1);
    expect(valueOf(exposition, 'autonoma_run_duration_seconds_count', { status: 'succeeded' })).toBe(3);
    expect(valueOf(exposition, 'autonoma_run_duration_seconds_count', { status: 'cancelled' })).toBe(1);
  });

  it('times every committed step, and every tool call by tool and outcome', () => {
    // Three steps per succeeded run, and the careful run's step that asked for approval.
    expect(stepsCommitted).toBe(9);
    expect(valueOf(exposition, 'autonoma_step_duration_seconds_count')).toBe(stepsCommitted + 1);
    expect(
      valueOf(exposition, 'autonoma_tool_call_duration_seconds_count', {
        tool: 'memory_store',
        outcome: 'ok',
      }),
    ).toBe(3);
    expect(
      valueOf(exposition, 'autonoma_tool_call_duration_seconds_count', { tool: 'fs_read', outcome: 'error' }),
    ).toBe(3);
  });

  it('counts model calls, tokens and cost by model', () => {
    // Ten calls: three per succeeded run, one by the careful run. The fixture reports 100 in, 20 out.
    expect(valueOf(exposition, 'autonoma_model_calls_total', { model, outcome: 'ok' })).toBe(10);
    expect(valueOf(exposition, 'autonoma_model_tokens_total', { model, direction: 'input' })).toBe(1000);
    expect(valueOf(exposition, 'autonoma_model_tokens_total', { model, direction: 'output' })).toBe(200);
    expect(exposition.samples.some((sample) => sample.name === 'autonoma_model_cost_usd_total')).toBe(true);
  });

  it('reads runs by status, approvals, the queue and live workers from the store on each scrape', () => {
    expect(valueOf(exposition, 'autonoma_runs', { status: 'waiting_approval' })).toBe(1);
    expect(valueOf(exposition, 'autonoma_runs', { status: 'queued' })).toBe(1);
    expect(valueOf(exposition, 'autonoma_runs', { status: 'running' })).toBe(0);
    expect(valueOf(exposition, 'autonoma_approvals_waiting')).toBe(1);
    expect(valueOf(exposition, 'autonoma_queue_depth', { priority: 'high' })).toBe(1);
    expect(valueOf(exposition, 'autonoma_queue_depth', { priority: 'normal' })).toBe(0);
    expect(
      valueOf(exposition, 'autonoma_queue_oldest_job_age_seconds', { priority: 'high' }),
    ).toBeGreaterThanOrEqual(0);
    expect(valueOf(exposition, 'autonoma_workers_alive')).toBe(1);
  });

  it('labels HTTP requests by route template (never the raw path), method and status', () => {
    const count = 'autonoma_http_request_duration_seconds_count';
    expect(valueOf(exposition, count, { route: '/v1/runs/:id', method: 'GET', status: '200' })).toBe(2);
    expect(valueOf(exposition, count, { route: 'unmatched', method: 'GET', status: '404' })).toBe(1);
    expect(valueOf(exposition, count, { route: '/v1/boom', method: 'GET', status: '500' })).toBe(1);
    const routes = exposition.samples
      .filter((sample) => sample.name === count)
      .map((sample) => sample.labels['route']);
    expect(routes).not.toContain('/metrics');
    expect(routes.some((route) => route?.includes('run_1'))).toBe(false);
    expect(valueOf(exposition, 'autonoma_rate_limited_total')).toBe(1);
    expect(valueOf(exposition, 'autonoma_login_failures_total')).toBe(1);
    expect(valueOf(exposition, 'autonoma_sweeper_requeues_total')).toBe(2);
  });

  it('serves /metrics on a port of its own', async () => {
    const metrics = observability.metrics;
    if (!metrics) throw new Error('metrics were asked for');
    const server = await startMetricsServer({ metrics, port: 0, host: '127.0.0.1' });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const response = await fetch(`${base}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const served = parseExposition(await response.text());
      expect(valueOf(served, 'autonoma_runs_total', { status: 'succeeded' })).toBe(3);
      expect((await fetch(`${base}/other`)).status).toBe(404);
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });
});

describe('lease losses and fenced commits [pglite]', () => {
  it('are counted where the run service loses a lease and a commit is refused', async () => {
    let started = false;
    const waitForAbort = defineTool({
      name: 'wait_for_abort',
      description: 'waits until the call is aborted',
      input: z.strictObject({}),
      idempotent: true,
      risk: 'low',
      execute: (_input, context) =>
        new Promise((resolve) => {
          started = true;
          context.signal.addEventListener('abort', () => resolve({ aborted: true }), { once: true });
        }),
    });
    const fixture = await startToolModel([{ name: 'wait_for_abort', input: {} }]);
    const config = fixtureConfig(fixture);
    const observability = await createObservability(config, { metrics: true });
    const app = await startApp(config, { observability, tools: [waitForAbort], leaseTtlMs: 3000 });
    try {
      const scope = app.localScope;
      await app.services.agents.put(scope, AgentSpec.parse({ name: 'waiter', tools: ['wait_for_abort'] }));
      const run = await app.services.runs.start(scope, { goal: 'wait', agent: 'waiter' });
      const advancing = app.services.runs.advance(scope, run.id);
      await waitFor(() => started, { what: 'the tool to start' });
      // Another process takes the run over (as after a long pause of this one).
      const stolen = await app.database.stores.runs.acquireLease(run.orgId, run.id, {
        owner: 'another-process',
        now: app.clock.now(),
        ttlMs: 60_000,
        steal: () => true,
      });
      expect('refused' in stolen).toBe(false);
      await expect(advancing).rejects.toMatchObject({ code: 'fenced' });
      const exposition = parseExposition(await (observability.metrics?.render() ?? ''));
      expect(valueOf(exposition, 'autonoma_lease_losses_total')).toBe(1);
      expect(valueOf(exposition, 'autonoma_fenced_commits_total')).toBe(1);
      expect(valueOf(exposition, 'autonoma_step_duration_seconds_count')).toBe(0);
    } finally {
      await app.close();
      await observability.close();
      await fixture.close();
    }
  });
});
