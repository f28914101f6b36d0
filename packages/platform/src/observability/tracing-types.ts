/** The shapes of tracing, apart from the code that loads the SDK (which needs them too). */
import type * as OtelApi from '@opentelemetry/api';
import type { Context, Tracer } from '@opentelemetry/api';

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
  /** Exports what is buffered. */
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
  /** Delay between batch exports. @default 1000 */
  exportIntervalMs?: number;
}
