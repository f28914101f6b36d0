/**
 * The OpenTelemetry SDK wiring, loaded by tracing.ts only when an endpoint is configured: a tracer
 * provider of our own (not registered as the global one: nothing else in the process is traced behind
 * our back) with the configured sampler, a batch processor exporting OTLP/HTTP (protobuf by default,
 * or JSON), the AsyncLocalStorage context manager (so a span started in a request or job handler is the
 * parent of what runs inside it) and the W3C trace context propagator.
 */
import type { Context } from '@opentelemetry/api';
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan, Sampler, SpanExporter } from '@opentelemetry/sdk-trace';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { TraceCarrier, Tracing, TracingOptions } from './tracing-types.ts';
import { defaultSpanBatch } from './tracing-types.ts';

/** How long closing waits for the last export. */
const closeTimeoutMs = 5000;

/** The OTLP exporter, telling `onError` about failed exports at most once a minute. */
function reportingExporter(
  exporter: SpanExporter,
  onError: ((message: string) => void) | undefined,
): SpanExporter {
  let lastReport = 0;
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
      exporter.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS && onError && Date.now() - lastReport > 60_000) {
          lastReport = Date.now();
          onError(`could not export ${spans.length} span(s): ${result.error?.message ?? 'failed'}`);
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    ...(exporter.forceFlush ? { forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve() } : {}),
  };
}

const bounded = (work: Promise<unknown>): Promise<void> =>
  Promise.race([
    work.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => setTimeout(resolve, closeTimeoutMs).unref()),
  ]);

/** The SDK sampler a {@link TracingOptions.sampler} names. */
export function samplerOf(sampler: TracingOptions['sampler']): Sampler {
  const ratio = (): Sampler => new TraceIdRatioBasedSampler(sampler?.ratio ?? 1);
  switch (sampler?.name ?? 'parentbased_always_on') {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** Builds the process's tracing (see tracing.ts). */
export function createSdkTracing(options: TracingOptions): Tracing {
  // One context manager per process; a second app in the same process shares the first one's.
  const manager = new AsyncLocalStorageContextManager();
  if (!api.context.setGlobalContextManager(manager.enable())) manager.disable();
  const url = `${options.endpoint.replace(/\/+$/, '')}/v1/traces`;
  const batch = { ...defaultSpanBatch, ...options.batch };
  const Exporter = options.protocol === 'http/json' ? JsonTraceExporter : ProtobufTraceExporter;
  const exporter = reportingExporter(
    new Exporter({ url, timeoutMillis: batch.exportTimeoutMs }),
    options.onExportError,
  );
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      'service.version': options.serviceVersion,
      'process.pid': process.pid,
    }),
    sampler: samplerOf(options.sampler),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter,
        scheduledDelayMillis: batch.scheduledDelayMs,
        maxQueueSize: batch.maxQueueSize,
        maxExportBatchSize: Math.min(batch.maxExportBatchSize, batch.maxQueueSize),
        exportTimeoutMillis: batch.exportTimeoutMs,
      }),
    ],
  });
  const tracer = provider.getTracer('autonoma', options.serviceVersion);
  const propagator = new W3CTraceContextPropagator();
  let closing: Promise<void> | undefined;
  // Deferred span making (`Tracing.defer`): one setImmediate for whatever was deferred meanwhile.
  let deferred: (() => void)[] = [];
  let scheduled: NodeJS.Immediate | undefined;
  const runDeferred = (): void => {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    const works = deferred;
    deferred = [];
    for (const work of works) {
      try {
        work();
      } catch (error) {
        // Tracing never breaks what it traces: these spans are lost, nothing else.
        api.diag.error('could not make deferred spans', error);
      }
    }
  };
  return {
    api,
    tracer,
    active: () => api.context.active(),
    with: (context, fn) => api.context.with(context, fn),
    inject: (context?: Context): TraceCarrier => {
      const carrier: TraceCarrier = {};
      propagator.inject(context ?? api.context.active(), carrier, api.defaultTextMapSetter);
      return carrier;
    },
    extract: (carrier) =>
      carrier === undefined
        ? api.ROOT_CONTEXT
        : propagator.extract(api.ROOT_CONTEXT, carrier, api.defaultTextMapGetter),
    defer: (work) => {
      deferred.push(work);
      scheduled ??= setImmediate(runDeferred);
    },
    flush: () => {
      runDeferred();
      return provider.forceFlush();
    },
    close: () => {
      runDeferred();
      return (closing ??= bounded(provider.forceFlush().then(() => provider.shutdown())));
    },
  };
}
