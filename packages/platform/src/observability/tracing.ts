/**
 * OpenTelemetry tracing, off unless asked for: with `OTEL_EXPORTER_OTLP_ENDPOINT` set (and
 * `OTEL_SDK_DISABLED` not true) the SDK is loaded — lazily, so a process without an endpoint never
 * loads it — and spans are exported over OTLP/HTTP (protobuf, or JSON with
 * `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`) to `<endpoint>/v1/traces`, in batches (`OTEL_BSP_*`), for
 * the traces the sampler keeps (`OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`). Without an endpoint
 * nothing is loaded, created or sent.
 *
 * Spans are made by hand at the points that matter (HTTP request, job, run slice, step, model call,
 * tool call), not by auto-instrumentation: no module patching, no start-up cost, and nothing recorded
 * that we did not choose to record (tool arguments and secrets never are).
 */
import type { JobHandler } from '@autonoma/core';
import type { SpanBatchOptions, TraceCarrier, Tracing, TracingOptions } from './tracing-types.ts';
import type { Config } from '../config/schema.ts';

export type { TraceCarrier, Tracing, TracingOptions } from './tracing-types.ts';

/** Loads the SDK and starts exporting. */
export async function startTracing(options: TracingOptions): Promise<Tracing> {
  const { createSdkTracing } = await import('./tracing-sdk.ts');
  return createSdkTracing(options);
}

/** The sampler, encoding, batching and service name the configuration gives (all but the endpoint). */
export function tracingOptionsOf(
  config: Pick<
    Config,
    | 'otelServiceName'
    | 'otelTracesSampler'
    | 'otelTracesSamplerArg'
    | 'otelExporterProtocol'
    | 'otelBspScheduleDelayMs'
    | 'otelBspMaxQueueSize'
    | 'otelBspMaxExportBatchSize'
    | 'otelBspExportTimeoutMs'
  >,
): Omit<TracingOptions, 'endpoint' | 'serviceVersion'> {
  const batch: Partial<SpanBatchOptions> = {
    ...(config.otelBspScheduleDelayMs === undefined
      ? {}
      : { scheduledDelayMs: config.otelBspScheduleDelayMs }),
    ...(config.otelBspMaxQueueSize === undefined ? {} : { maxQueueSize: config.otelBspMaxQueueSize }),
    ...(config.otelBspMaxExportBatchSize === undefined
      ? {}
      : { maxExportBatchSize: config.otelBspMaxExportBatchSize }),
    ...(config.otelBspExportTimeoutMs === undefined
      ? {}
      : { exportTimeoutMs: config.otelBspExportTimeoutMs }),
  };
  return {
    serviceName: config.otelServiceName,
    sampler: {
      name: config.otelTracesSampler,
      ...(config.otelTracesSamplerArg === undefined ? {} : { ratio: config.otelTracesSamplerArg }),
    },
    protocol: config.otelExporterProtocol,
    batch,
  };
}

/** True when the configuration asks for traces: an endpoint, and the SDK not disabled. */
export const tracingEnabled = (config: Pick<Config, 'otelEndpoint' | 'otelSdkDisabled'>): boolean =>
  config.otelEndpoint !== undefined && !config.otelSdkDisabled;

/** What a job span records. */
export interface JobSpanInfo {
  /** The job's kind (`agent-run`, `learning-refresh`, …). */
  kind: string;
  id: string;
  /** The run an `agent-run` job advances. */
  runId?: string;
  orgId?: string;
  /** 1 for the first attempt. */
  attempt?: number;
  /** The queue (priority) it came from. */
  queue?: string;
  /** The trace context written with the job: its run's (`NewRun.trace`), else its enqueuer's. */
  trace?: TraceCarrier;
}

/**
 * Runs a job's handler inside a `job <kind>` span (a consumer span whose parent is the trace the job
 * carried), so that the run slice the job advances — and its steps, model and tool calls — join the
 * trace of the request that enqueued it. Without tracing it only runs `fn`.
 */
export async function withJobSpan<T>(
  tracing: Tracing | undefined,
  job: JobSpanInfo,
  fn: () => Promise<T>,
): Promise<T> {
  if (!tracing) return fn();
  const { api } = tracing;
  const parent = tracing.extract(job.trace);
  const span = tracing.tracer.startSpan(
    `job ${job.kind}`,
    {
      kind: api.SpanKind.CONSUMER,
      attributes: {
        'messaging.operation.type': 'process',
        'messaging.message.id': job.id,
        'autonoma.job.kind': job.kind,
        ...(job.queue === undefined ? {} : { 'messaging.destination.name': job.queue }),
        ...(job.attempt === undefined ? {} : { 'autonoma.job.attempt': job.attempt }),
        ...(job.runId === undefined ? {} : { 'autonoma.run.id': job.runId }),
        ...(job.orgId === undefined ? {} : { 'autonoma.org.id': job.orgId }),
      },
    },
    parent,
  );
  try {
    const result = await tracing.with(api.trace.setSpan(parent, span), fn);
    span.setStatus({ code: api.SpanStatusCode.OK });
    return result;
  } catch (error) {
    span.setStatus({ code: api.SpanStatusCode.ERROR });
    span.setAttribute('error.type', errorType(error));
    throw error;
  } finally {
    span.end();
  }
}

/** What the root span of a run created outside any span records. */
export interface NewRunTrace {
  id: string;
  orgId: string;
  /** The agent's name. */
  agent: string;
}

/**
 * The trace context a new run is stored with (see `RunObserver.runTraceContext`): the active span's, or
 * that of a `create_run` root span (ended at once) when no span is active. Either way the sampler has
 * decided: a context not sampled is carried all the same (flags `00`), so the run's jobs, under a
 * parent-based sampler, are not sampled either.
 */
export function newRunTraceCarrier(tracing: Tracing, run: NewRunTrace): TraceCarrier {
  const { api } = tracing;
  const active = tracing.active();
  const current = api.trace.getSpanContext(active);
  if (current && api.trace.isSpanContextValid(current)) return tracing.inject(active);
  const span = tracing.tracer.startSpan(
    'create_run',
    {
      kind: api.SpanKind.INTERNAL,
      attributes: {
        'autonoma.run.id': run.id,
        'autonoma.org.id': run.orgId,
        'gen_ai.agent.name': run.agent,
      },
    },
    api.ROOT_CONTEXT,
  );
  span.end();
  return tracing.inject(api.trace.setSpan(api.ROOT_CONTEXT, span));
}

/** The trace context a job's payload carries under `trace` (written where the job was enqueued). */
export function jobTraceCarrier(payload: Record<string, unknown>): TraceCarrier | undefined {
  const trace = payload['trace'];
  if (trace === null || typeof trace !== 'object' || Array.isArray(trace)) return undefined;
  const carrier: TraceCarrier = {};
  for (const [key, value] of Object.entries(trace)) if (typeof value === 'string') carrier[key] = value;
  return carrier;
}

/**
 * `handler` with every job run inside its {@link withJobSpan} span, continuing the trace its payload
 * carries: the worker's side of "one trace shows the API and the worker together". Without tracing
 * it is `handler` itself.
 */
export function tracedJobHandler(tracing: Tracing | undefined, handler: JobHandler): JobHandler {
  if (!tracing) return handler;
  return (job, context) => {
    const trace = jobTraceCarrier(job.payload);
    return withJobSpan(
      tracing,
      {
        kind: job.kind,
        id: job.id,
        queue: job.priority,
        attempt: job.attempt,
        orgId: job.orgId,
        ...(job.runId === null ? {} : { runId: job.runId }),
        ...(trace ? { trace } : {}),
      },
      () => handler(job, context),
    );
  };
}

/** A low-cardinality error type for `error.type`: an error's `code`, else its class name. Never its message. */
export function errorType(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '') return name;
  }
  return 'error';
}
