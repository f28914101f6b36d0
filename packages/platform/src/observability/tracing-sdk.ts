/**
 * The OpenTelemetry SDK wiring, loaded by tracing.ts only when an endpoint is configured: a tracer
 * provider of our own (not registered as the global one: nothing else in the process is traced behind
 * our back), a batch processor exporting OTLP/HTTP JSON, the AsyncLocalStorage context manager (so a
 * span started in a request or job handler is the parent of what runs inside it) and the W3C trace
 * context propagator.
 */
import type { Context } from '@opentelemetry/api';
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { TraceCarrier, Tracing, TracingOptions } from './tracing-types.ts';

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

/** Builds the process's tracing (see tracing.ts). */
export function createSdkTracing(options: TracingOptions): Tracing {
  // One context manager per process; a second app in the same process shares the first one's.
  const manager = new AsyncLocalStorageContextManager();
  if (!api.context.setGlobalContextManager(manager.enable())) manager.disable();
  const url = `${options.endpoint.replace(/\/+$/, '')}/v1/traces`;
  const exporter = reportingExporter(
    new OTLPTraceExporter({ url, timeoutMillis: 10_000 }),
    options.onExportError,
  );
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      'service.version': options.serviceVersion,
      'process.pid': process.pid,
    }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter,
        scheduledDelayMillis: options.exportIntervalMs ?? 1000,
        maxQueueSize: 4096,
        maxExportBatchSize: 512,
        exportTimeoutMillis: 10_000,
      }),
    ],
  });
  const tracer = provider.getTracer('autonoma', options.serviceVersion);
  const propagator = new W3CTraceContextPropagator();
  let closing: Promise<void> | undefined;
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
    flush: () => provider.forceFlush(),
    close: () => (closing ??= bounded(provider.forceFlush().then(() => provider.shutdown()))),
  };
}
