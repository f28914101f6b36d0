/**
 * Traces, received for real: a loopback OTLP/HTTP receiver decodes what the exporter sends (OTLP
 * protobuf, read with a wire-format decoder of the harness's own) and the
 * span tree of a run is checked — HTTP request → job (its trace context written into the job's payload
 * with the run, then taken by a real worker pool) → run slice → steps → model calls (GenAI semantic conventions) and tool calls — with no
 * tool argument and no secret anywhere in what was exported. Without an endpoint, or with
 * OTEL_SDK_DISABLED=true, nothing is loaded and nothing is sent.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { installHttpObservability } from '../../src/observability/http-observability.ts';
import type { Observability } from '../../src/observability/observability.ts';
import { createObservability } from '../../src/observability/observability.ts';
import { queryRows, sql } from '../../src/store/index.ts';
import { startWorkerPool } from '../../src/worker.ts';
import type { Fixture } from '../fixtures/openai-server.ts';
import { cliEnvironment, runCli } from '../support/cli.ts';
import { waitFor } from '../support/wait-for.ts';
import type { OtlpReceiver, ReceivedSpan } from './observability-harness.ts';
import { fixtureConfig, startApp, startOtlpReceiver, startToolModel } from './observability-harness.ts';

const argumentCanary = 'argument-canary-5d1e9f';
const secret = 'sk-model-secret-7c2a4b8e';

/** OTLP span kinds. */
const kind = { internal: 1, server: 2, client: 3, consumer: 5 } as const;
const statusError = 2;

describe('traces of a run, received over OTLP/HTTP [pglite]', () => {
  let receiver: OtlpReceiver;
  let fixture: Fixture;
  let observability: Observability;
  let app: App;
  let runId: string;
  let jobId: string;
  let spans: ReceivedSpan[];

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    fixture = await startToolModel([
      { name: 'memory_store', input: { text: `remember ${argumentCanary} and ${secret}` } },
      { name: 'fs_read', input: { path: `${argumentCanary}.txt` } },
    ]);
    const config = fixtureConfig(fixture, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'autonoma-test',
      AUTONOMA_MODEL_API_KEY: secret,
    });
    observability = await createObservability(config);
    const { tracing } = observability;
    if (!tracing) throw new Error('an endpoint is set: tracing must be on');
    app = await startApp(config, { observability });
    const scope = app.localScope;

    // The API: a request creates the run and hands its job the request's trace context.
    const api = Fastify();
    installHttpObservability(api, { tracing });
    api.post('/v1/runs', async (_request, reply) => {
      // As the real route does: the run and its job, in one statement (the outbox).
      const run = await app.services.runs.start(scope, { goal: `look up ${argumentCanary}`, enqueue: true });
      return reply.code(201).send({ runId: run.id });
    });
    const created = await api.inject({ method: 'POST', url: '/v1/runs?token=query-token-secret' });
    expect(created.statusCode).toBe(201);
    runId = created.json<{ runId: string }>().runId;
    await api.close();
    // The job row carries the request's trace context in its payload.
    const rows = await queryRows(
      app.database.executor,
      sql`SELECT id, payload FROM jobs WHERE run_id = ${runId}`,
    );
    expect(rows).toHaveLength(1);
    jobId = String(rows[0]?.['id']);
    const payload = (
      typeof rows[0]?.['payload'] === 'string' ? JSON.parse(rows[0]['payload']) : rows[0]?.['payload']
    ) as { runId: string; trace?: Record<string, string> };
    expect(payload.runId).toBe(runId);
    expect(payload.trace?.['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    // A worker pool (worker.ts, as `autonoma worker` runs it) takes the job: its span continues the
    // trace, and the slice runs inside it.
    const pool = await startWorkerPool(app, { sweeper: false, scheduler: false, relay: false });
    await waitFor(async () => (await app.services.runs.get(scope, runId)).finalizedAt !== null, {
      what: 'the worker to finish the run',
      timeoutMs: 60_000,
    });
    await pool.stop();
    const result = { run: await app.services.runs.get(scope, runId) };
    expect(result.run.status).toBe('succeeded');
    await tracing.flush();
    await waitFor(() => receiver.spans.some((span) => span.name === 'job agent-run'), {
      what: 'the job span at the receiver',
    });
    spans = receiver.spans;
  });

  afterAll(async () => {
    await app?.close();
    await observability?.close();
    await fixture?.close();
    await receiver?.close();
  });

  const named = (name: string): ReceivedSpan[] => spans.filter((span) => span.name === name);
  const one = (name: string): ReceivedSpan => {
    const found = named(name);
    expect(found, name).toHaveLength(1);
    return found[0] as ReceivedSpan;
  };
  const within = (child: ReceivedSpan, parent: ReceivedSpan): void => {
    expect(child.parentSpanId, `${child.name} under ${parent.name}`).toBe(parent.spanId);
    expect(child.traceId).toBe(parent.traceId);
    expect(child.startNs >= parent.startNs, `${child.name} starts within ${parent.name}`).toBe(true);
    expect(child.endNs <= parent.endNs, `${child.name} ends within ${parent.name}`).toBe(true);
  };

  it('one trace: HTTP request → job → run slice', () => {
    const request = one('POST /v1/runs');
    expect(request.parentSpanId).toBe('');
    expect(request.kind).toBe(kind.server);
    expect(request.service).toBe('autonoma-test');
    expect(request.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/v1/runs',
      'http.response.status_code': 201,
      'url.path': '/v1/runs',
    });
    const job = one('job agent-run');
    expect(job.parentSpanId).toBe(request.spanId);
    expect(job.traceId).toBe(request.traceId);
    expect(job.kind).toBe(kind.consumer);
    expect(job.attributes).toMatchObject({ 'autonoma.run.id': runId, 'messaging.message.id': jobId });
    const slice = one('invoke_agent default');
    within(slice, job);
    expect(slice.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'default',
      'autonoma.run.id': runId,
      'autonoma.slice.end': 'ended',
      'autonoma.run.status': 'succeeded',
    });
  });

  it('a span per step, each holding its model call (GenAI conventions) and its tool call', () => {
    const slice = one('invoke_agent default');
    const steps = named('step').sort(
      (a, b) => Number(a.attributes['autonoma.step']) - Number(b.attributes['autonoma.step']),
    );
    expect(
      steps.map((step) => [step.attributes['autonoma.step'], step.attributes['autonoma.step.outcome']]),
    ).toEqual([
      [1, 'continue'],
      [2, 'continue'],
      [3, 'final'],
    ]);
    for (const step of steps) within(step, slice);
    const models = named('chat fixture');
    expect(models).toHaveLength(3);
    for (const [index, call] of models.entries()) {
      const step = steps.find((candidate) => candidate.spanId === call.parentSpanId);
      expect(step, `model call ${index} is under a step`).toBeDefined();
      within(call, step as ReceivedSpan);
      expect(call.kind).toBe(kind.client);
      expect(call.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai-compatible',
        'gen_ai.request.model': 'fixture',
        'gen_ai.usage.input_tokens': 100,
        'gen_ai.usage.output_tokens': 20,
      });
    }
    const stored = one('execute_tool memory_store');
    within(stored, steps[0] as ReceivedSpan);
    expect(stored.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'memory_store',
      'gen_ai.tool.call.id': `${runId}:1:0`,
      'autonoma.tool.outcome': 'ok',
    });
    const read = one('execute_tool fs_read');
    within(read, steps[1] as ReceivedSpan);
    expect(read.status).toBe(statusError);
    expect(read.attributes['autonoma.tool.outcome']).toBe('error');
    expect(typeof read.attributes['error.type']).toBe('string');
  });

  it('the export is OTLP protobuf (the default), decoded here field by field', () => {
    expect(receiver.contentTypes.length).toBeGreaterThan(0);
    for (const contentType of receiver.contentTypes) expect(contentType).toBe('application/x-protobuf');
  });

  it('no tool argument, secret or query string in anything exported', () => {
    expect(receiver.bodies.length).toBeGreaterThan(0);
    for (const body of receiver.bodies) {
      expect(body).not.toContain(argumentCanary);
      expect(body).not.toContain(secret);
      expect(body).not.toContain('query-token-secret');
    }
    // The canary did reach the tools and the model: it is absent by choice, not by accident.
    expect(JSON.stringify(fixture.requests.map((request) => request.body))).toContain(argumentCanary);
  });
});

describe('tracing off', () => {
  it('loads no SDK and sends nothing without an endpoint, or with OTEL_SDK_DISABLED=true', async () => {
    const receiver = await startOtlpReceiver();
    const fixture = await startToolModel([]);
    try {
      const environments: Record<string, string>[] = [
        {},
        { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SDK_DISABLED: 'true' },
      ];
      for (const env of environments) {
        const config = fixtureConfig(fixture, env);
        const observability = await createObservability(config);
        expect(observability.tracing).toBeUndefined();
        const app = await startApp(config, { observability });
        try {
          const run = await app.services.runs.start(app.localScope, { goal: 'say hello' });
          expect((await app.services.runs.advanceTree(app.localScope, run.id)).run.status).toBe('succeeded');
        } finally {
          await app.close();
          await observability.close();
        }
      }
      expect(receiver.requests).toBe(0);
    } finally {
      await fixture.close();
      await receiver.close();
    }
  });

  it('a CLI command that opens the store loads neither OpenTelemetry, prom-client nor pino-pretty', async () => {
    const preload = pathToFileURL(resolve(import.meta.dirname, '../cli/record-loaded-modules.ts')).href;
    const directory = mkdtempSync(join(tmpdir(), 'autonoma-otel-off-'));
    for (const [index, extra] of [{}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }].entries()) {
      const record = join(directory, `modules-${index}.txt`);
      const result = await runCli(
        ['agents', 'list'],
        cliEnvironment({
          AUTONOMA_HOME: join(directory, 'home'),
          NODE_OPTIONS: `--import=${preload}`,
          AUTONOMA_TEST_LOADED_MODULES: record,
          ...extra,
        }),
        directory,
      );
      expect(result.code, result.stderr).toBe(0);
      const modules = readFileSync(record, 'utf8').split('\n');
      // The recorder saw the store opening, so an empty list cannot pass.
      expect(modules.some((url) => url.includes('/node_modules/@electric-sql/pglite/'))).toBe(true);
      expect(
        modules.filter((url) => /\/node_modules\/(@opentelemetry|prom-client|pino-pretty)\//.test(url)),
      ).toEqual([]);
    }
  });
});
