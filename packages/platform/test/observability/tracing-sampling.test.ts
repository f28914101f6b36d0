/**
 * Head sampling (`OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`): a trace the sampler drops exports
 * nothing, yet its context (flags `00`) still rides the queue, so the worker's spans follow the same
 * decision; the `parentbased_*` samplers follow an incoming context's decision. First each sampler in
 * one process (a request span, the job it enqueues, the job's span), then through a real app and worker
 * pool; and an invalid setting stops a process at start with one line naming the variable.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job, JobContext } from '@autonoma/core';
import type { App } from '../../src/app.ts';
import { installHttpObservability } from '../../src/observability/http-observability.ts';
import type { Observability } from '../../src/observability/observability.ts';
import { createObservability } from '../../src/observability/observability.ts';
import type { TraceCarrier, TracingOptions } from '../../src/observability/tracing.ts';
import { startTracing, tracedJobHandler } from '../../src/observability/tracing.ts';
import { queryRows, sql } from '../../src/store/index.ts';
import { startWorkerPool } from '../../src/worker.ts';
import type { Fixture } from '../fixtures/openai-server.ts';
import { cliEnvironment, runCli } from '../support/cli.ts';
import { waitFor } from '../support/wait-for.ts';
import type { OtlpReceiver, ReceivedSpan } from './observability-harness.ts';
import { fixtureConfig, startApp, startOtlpReceiver, startToolModel } from './observability-harness.ts';

const sampledParent = { traceId: 'a1'.repeat(16), spanId: 'b2'.repeat(8) };
const unsampledParent = { traceId: 'c3'.repeat(16), spanId: 'd4'.repeat(8) };
const header = (parent: { traceId: string; spanId: string }, sampled: boolean): string =>
  `00-${parent.traceId}-${parent.spanId}-${sampled ? '01' : '00'}`;
const parse = (carrier: TraceCarrier | undefined): { traceId: string; sampled: boolean } | undefined => {
  const match = /^00-([0-9a-f]{32})-[0-9a-f]{16}-(0[01])$/.exec(carrier?.['traceparent'] ?? '');
  return match ? { traceId: match[1] as string, sampled: match[2] === '01' } : undefined;
};

describe('each sampler, in one process: a request span, its job, the job’s span', () => {
  let receiver: OtlpReceiver;
  let services = 0;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  /**
   * A request (a root, or the child of an incoming `traceparent`) that writes a job carrying its
   * context, and the job run by the worker's traced handler: what was exported, what the job carried,
   * and the context the job's handler ran in.
   */
  async function requestThenJob(
    options: Pick<TracingOptions, 'sampler' | 'protocol'>,
    incoming?: string,
  ): Promise<{ exported: ReceivedSpan[]; carried: TraceCarrier; inJob: TraceCarrier | undefined }> {
    services += 1;
    const service = `sampling-${services}`;
    const tracing = await startTracing({
      ...options,
      endpoint: receiver.url,
      serviceName: service,
      serviceVersion: '0',
    });
    const { api } = tracing;
    const parent = tracing.extract(incoming === undefined ? undefined : { traceparent: incoming });
    const request = tracing.tracer.startSpan('POST /v1/runs', { kind: api.SpanKind.SERVER }, parent);
    const carried = tracing.inject(api.trace.setSpan(parent, request));
    request.end();
    let inJob: TraceCarrier | undefined;
    const handler = tracedJobHandler(tracing, async () => {
      inJob = tracing.inject();
    });
    await handler(
      {
        id: 'job_1',
        kind: 'agent-run',
        orgId: 'org_local',
        priority: 'normal',
        payload: { runId: 'run_1', trace: carried },
        attempt: 1,
        maxAttempts: 5,
        runId: 'run_1',
        agentId: null,
        dedupeKey: null,
        lastError: null,
        recovered: false,
        createdAt: 0,
      } satisfies Job,
      {} as JobContext,
    );
    await tracing.flush();
    await tracing.close();
    return { exported: receiver.spans.filter((span) => span.service === service), carried, inJob };
  }

  /** Both spans exported, the job's under the request's, in one trace; `parentSpanId`: the request's parent. */
  const bothExported = (result: Awaited<ReturnType<typeof requestThenJob>>, parentSpanId = ''): void => {
    const request = result.exported.find((span) => span.name === 'POST /v1/runs');
    const job = result.exported.find((span) => span.name === 'job agent-run');
    expect(request?.parentSpanId).toBe(parentSpanId);
    expect(job?.parentSpanId).toBe(request?.spanId);
    expect(job?.traceId).toBe(request?.traceId);
    expect(parse(result.carried)).toEqual({ traceId: request?.traceId, sampled: true });
  };

  /** Nothing exported, and yet the job carried the (unsampled) context and ran in that trace. */
  const noneExported = (result: Awaited<ReturnType<typeof requestThenJob>>, traceId?: string): void => {
    expect(result.exported).toEqual([]);
    const carried = parse(result.carried);
    expect(carried?.sampled).toBe(false);
    if (traceId !== undefined) expect(carried?.traceId).toBe(traceId);
    expect(parse(result.inJob)).toEqual(carried);
  };

  it('always_on records every trace, even under a parent that was not sampled', async () => {
    bothExported(await requestThenJob({ sampler: { name: 'always_on' } }));
    const result = await requestThenJob({ sampler: { name: 'always_on' } }, header(unsampledParent, false));
    bothExported(result, unsampledParent.spanId);
    expect(result.exported[0]?.traceId).toBe(unsampledParent.traceId);
  });

  it('always_off records nothing, and its context still crosses the queue', async () => {
    noneExported(await requestThenJob({ sampler: { name: 'always_off' } }));
    noneExported(
      await requestThenJob({ sampler: { name: 'always_off' } }, header(sampledParent, true)),
      sampledParent.traceId,
    );
  });

  it('traceidratio keeps the share its argument gives: 0 none, 1 all', async () => {
    noneExported(await requestThenJob({ sampler: { name: 'traceidratio', ratio: 0 } }));
    bothExported(await requestThenJob({ sampler: { name: 'traceidratio', ratio: 1 } }));
  });

  it('the parent-based samplers follow the incoming decision, and apply theirs to new traces only', async () => {
    // parentbased_always_on (the default): new traces recorded; an unsampled parent is followed.
    bothExported(await requestThenJob({}));
    bothExported(await requestThenJob({}, header(sampledParent, true)), sampledParent.spanId);
    noneExported(await requestThenJob({}, header(unsampledParent, false)), unsampledParent.traceId);
    // parentbased_always_off: new traces dropped; a sampled parent is followed.
    const off = { sampler: { name: 'parentbased_always_off' as const } };
    noneExported(await requestThenJob(off));
    bothExported(await requestThenJob(off, header(sampledParent, true)), sampledParent.spanId);
    // parentbased_traceidratio at 0: the same.
    const ratio = { sampler: { name: 'parentbased_traceidratio' as const, ratio: 0 } };
    noneExported(await requestThenJob(ratio));
    bothExported(await requestThenJob(ratio, header(sampledParent, true)), sampledParent.spanId);
    noneExported(await requestThenJob(ratio, header(unsampledParent, false)), unsampledParent.traceId);
  });

  it('exports OTLP protobuf by default, OTLP JSON with http/json', async () => {
    const before = receiver.contentTypes.length;
    bothExported(await requestThenJob({}));
    expect(receiver.contentTypes.slice(before)).toEqual(['application/x-protobuf']);
    bothExported(await requestThenJob({ protocol: 'http/json' }));
    expect(receiver.contentTypes.slice(before)).toEqual(['application/x-protobuf', 'application/json']);
  });
});

describe('a sampled-out trace through the real queue [pglite]', () => {
  let receiver: OtlpReceiver;
  let fixture: Fixture;
  let observability: Observability;
  let app: App;
  const runs: { sampled: string; dropped: string } = { sampled: '', dropped: '' };
  const payloadTraces = async (runId: string): Promise<(TraceCarrier | undefined)[]> =>
    (
      await queryRows(
        app.database.executor,
        sql`SELECT payload FROM jobs WHERE run_id = ${runId} ORDER BY created_at, id`,
      )
    ).map((row) => {
      const payload = (typeof row['payload'] === 'string' ? JSON.parse(row['payload']) : row['payload']) as {
        trace?: TraceCarrier;
      };
      return payload.trace;
    });

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    fixture = await startToolModel([{ name: 'memory_store', input: { text: 'one thing' } }]);
    // New traces are dropped (a ratio of 0); one that arrives sampled is followed.
    const config = fixtureConfig(fixture, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'autonoma-sampling',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0',
    });
    observability = await createObservability(config);
    const { tracing } = observability;
    if (!tracing) throw new Error('an endpoint is set: tracing must be on');
    app = await startApp(config, { observability });
    const api = Fastify();
    installHttpObservability(api, { tracing });
    api.post('/v1/runs', async (_request, reply) => {
      const run = await app.services.runs.start(app.localScope, {
        goal: 'remember one thing',
        enqueue: true,
      });
      return reply.code(201).send({ runId: run.id });
    });
    const post = async (headers: Record<string, string>): Promise<string> => {
      const response = await api.inject({ method: 'POST', url: '/v1/runs', headers });
      expect(response.statusCode).toBe(201);
      return response.json<{ runId: string }>().runId;
    };
    runs.sampled = await post({ traceparent: header(sampledParent, true) });
    runs.dropped = await post({});
    await api.close();
    // Two slices each (one step per slice): the job written after the first slice carries the
    // context as well.
    const pool = await startWorkerPool(app, {
      sweeper: false,
      scheduler: false,
      relay: false,
      sliceSteps: 1,
    });
    await waitFor(
      async () => {
        const done = await Promise.all(
          Object.values(runs).map((runId) => app.services.runs.get(app.localScope, runId)),
        );
        return done.every((run) => run.finalizedAt !== null);
      },
      { what: 'the worker to finish both runs', timeoutMs: 120_000 },
    );
    await pool.stop();
    await tracing.flush();
    await waitFor(() => receiver.spans.filter((span) => span.name === 'job agent-run').length >= 2, {
      what: 'the sampled run’s job spans',
    });
  });

  afterAll(async () => {
    await app?.close();
    await observability?.close();
    await fixture?.close();
    await receiver?.close();
  });

  it('the request that arrived sampled is traced end to end: request, both jobs, slices, steps', async () => {
    expect((await app.services.runs.get(app.localScope, runs.sampled)).status).toBe('succeeded');
    const traced = receiver.spans.filter((span) => span.traceId === sampledParent.traceId);
    const request = traced.find((span) => span.name === 'POST /v1/runs');
    expect(request?.parentSpanId).toBe(sampledParent.spanId);
    const jobs = traced.filter((span) => span.name === 'job agent-run');
    expect(jobs).toHaveLength(2);
    for (const job of jobs) expect(job.parentSpanId).toBe(request?.spanId);
    expect(traced.filter((span) => span.name === 'step')).toHaveLength(2);
    for (const trace of await payloadTraces(runs.sampled))
      expect(parse(trace)).toEqual({ traceId: sampledParent.traceId, sampled: true });
  });

  it('the trace started here was dropped: nothing of it exported, its context carried by every job', async () => {
    expect((await app.services.runs.get(app.localScope, runs.dropped)).status).toBe('succeeded');
    // Everything exported belongs to the sampled request's trace.
    expect(new Set(receiver.spans.map((span) => span.traceId))).toEqual(new Set([sampledParent.traceId]));
    const traces = await payloadTraces(runs.dropped);
    expect(traces).toHaveLength(2);
    const [first] = traces;
    expect(parse(first)?.sampled).toBe(false);
    for (const trace of traces) expect(trace).toEqual(first);
  });
});

describe('an invalid sampler setting', () => {
  it('stops a process at start with one line naming the variable', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'autonoma-sampler-'));
    for (const [env, variable] of [
      [{ OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER'],
      [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' }, 'OTEL_TRACES_SAMPLER_ARG'],
      [{ OTEL_TRACES_SAMPLER_ARG: 'half' }, 'OTEL_TRACES_SAMPLER_ARG'],
      [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL'],
    ] as const) {
      const result = await runCli(
        ['worker'],
        cliEnvironment({
          AUTONOMA_HOME: join(cwd, 'home'),
          OTEL_SDK_DISABLED: 'false',
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
          ...env,
        }),
        cwd,
      );
      expect(result.code, variable).not.toBe(0);
      expect(result.signal).toBeNull();
      const lines = result.stderr.trim().split('\n');
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toContain(variable);
    }
  });
});
