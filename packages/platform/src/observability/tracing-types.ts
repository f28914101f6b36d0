/** The shapes of tracing, apart from the code that loads the SDK (which needs them too). */
import type * as OtelApi from '@opentelemetry/api';
import type { Context, Tracer } from '@opentelemetry/api';

/**
 * The samplers `OTEL_TRACES_SAMPLER` names (the OpenTelemetry SDK's standard set). `traceidratio`
 * keeps the share of traces `OTEL_TRACES_SAMPLER_ARG` gives; `parentbased_*` follow the sampling
 * decision of the parent (an incoming `traceparent`, a job's stored context) and apply the named
 * sampler only to traces that start here.
 */
export const tracesSamplers = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/** One of {@link tracesSamplers}. */
export type TracesSamplerName = (typeof tracesSamplers)[number];

/** The OTLP/HTTP encodings `OTEL_EXPORTER_OTLP_PROTOCOL` may name (gRPC is not supported). */
export const otlpProtocols = ['http/protobuf', 'http/json'] as const;

/** One of {@link otlpProtocols}. */
export type OtlpProtocol = (typeof otlpProtocols)[number];

/** How spans are batched for export (the `OTEL_BSP_*` variables). */
export interface SpanBatchOptions {
  /** The longest a finished span waits before its batch is exported. */
  scheduledDelayMs: number;
  /** Spans buffered at most; more are dropped until an export frees room. */
  maxQueueSize: number;
  /** Spans per OTLP request (an export starts as soon as this many are waiting). */
  maxExportBatchSize: number;
  /** Time limit of one export. */
  exportTimeoutMs: number;
}

/** W3C trace context (`traceparent`, `tracestate`) as a plain object: what crosses a queue. */
export type TraceCarrier = Record<string, string>;

/** The tracing of one process. */
export interface Tracing {
  /** The OpenTelemetry API module (loaded with the SDK). */
  readonly api: typeof OtelApi;
  readonly tracer: Tracer;
  /** The context of the code running now (the span a request or job handler runs in). */
  active(): Context;
  /** Runs `fn` with `context` active (spans started inside are its children). */
  with<T>(context: Context, fn: () => T): T;
  /** The W3C trace context of `context` (the active one by default); empty without a span. */
  inject(context?: Context): TraceCarrier;
  /** A context whose parent is the span a carrier names (the root context for none). */
  extract(carrier: TraceCarrier | undefined): Context;
  /**
   * Runs `work` (making spans after the fact) in a callback of its own, after the callbacks in progress
   * — off the path of the work being traced. Several are run together, in order; `flush` runs those
   * still waiting first.
   */
  defer(work: () => void): void;
  /** Makes the deferred spans and exports what is buffered. */
  flush(): Promise<void>;
  /** Flushes and stops exporting (bounded: a collector that does not answer delays it at most 5 s). */
  close(): Promise<void>;
}

/** Options of {@link startTracing}. */
export interface TracingOptions {
  /** OTLP/HTTP base endpoint, e.g. `http://jaeger:4318` (spans go to `<endpoint>/v1/traces`). */
  endpoint: string;
  /** `service.name`. */
  serviceName: string;
  /** `service.version`. */
  serviceVersion: string;
  /** Told when an export fails (at most once a minute). */
  onExportError?: (message: string) => void;
  /** Which traces are recorded and exported. @default { name: 'parentbased_always_on' } */
  sampler?: { name: TracesSamplerName; /** For the ratio samplers, 0..1. @default 1 */ ratio?: number };
  /** The OTLP/HTTP encoding. @default 'http/protobuf' */
  protocol?: OtlpProtocol;
  /** Batching of the export; each setting defaults to {@link defaultSpanBatch}'s. */
  batch?: Partial<SpanBatchOptions>;
}

/**
 * The export's batching unless configured (`OTEL_BSP_*`): a batch leaves every second, or as soon as
 * 2048 spans wait. A worker makes about three spans a step, so up to ~2,000 spans a second (more than
 * a core's worth of steps) the export starts from the timer — a callback of its own between the runs'
 * work — rather than inside the `end()` of the span that fills a batch, in the middle of a step; and a
 * busy worker sends one large OTLP request a second instead of several. Up to 8192 spans are buffered
 * (a collector that stalls for a few seconds loses nothing); beyond that new spans are dropped.
 */
export const defaultSpanBatch: Readonly<SpanBatchOptions> = Object.freeze({
  scheduledDelayMs: 1000,
  maxQueueSize: 8192,
  maxExportBatchSize: 2048,
  exportTimeoutMs: 10_000,
});
