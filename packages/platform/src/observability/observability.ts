/**
 * The observability of one process — logs, metrics, traces and the run observer built on them —
 * assembled from the configuration. Every part is loaded only when used: a CLI command that asks for
 * none of them loads neither pino, prom-client nor OpenTelemetry.
 *
 * `createApp` builds a quiet one by default (traces only, when an endpoint is configured); long-running
 * processes (`autonoma serve`, `autonoma worker`) build theirs with logs and metrics and hand it to
 * `createApp({ observability })` — see docs/operations.md.
 */
import type { Clock } from '@autonoma/core';
import type { DestinationStream } from 'pino';
import type { Config } from '../config/schema.ts';
import { secretValues } from '../config/mask.ts';
import type { Executor } from '../store/driver.ts';
import { version } from '../version.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { RunObserver } from './run-observer.ts';
import { createRunObserver } from './run-observer.ts';
import { storeGauges } from './store-gauges.ts';
import type { Tracing } from './tracing.ts';
import { startTracing, tracingEnabled, tracingOptionsOf } from './tracing.ts';

/** A process's observability. */
export interface Observability {
  /** The process logger; `undefined` when this process logs nothing. */
  readonly logger: Logger | undefined;
  /** The process's metrics; `undefined` when it exports none. */
  readonly metrics: Metrics | undefined;
  /** Tracing; `undefined` without `OTEL_EXPORTER_OTLP_ENDPOINT` (or with `OTEL_SDK_DISABLED=true`). */
  readonly tracing: Tracing | undefined;
  /** What the run service reports to (`RunServiceDeps.observe`); `undefined` when nothing observes. */
  readonly runs: RunObserver | undefined;
  /**
   * Reads the cluster-wide gauges (runs by status, queue, workers, approvals) from this store on every
   * scrape; returns a function that stops it. Does nothing without metrics.
   */
  watchStore(store: { db: Executor; clock: Clock }): () => void;
  /** Exports the last spans and flushes the log. */
  close(): Promise<void>;
}

/** Options of {@link createObservability}. */
export interface ObservabilityOptions {
  /** Log lines: `true` builds the logger from the configuration (`LOG_LEVEL`, `AUTONOMA_LOG_FORMAT`), or give one. @default none */
  logs?: boolean | Logger;
  /** Where log lines go when `logs` is `true`. @default stdout */
  logDestination?: DestinationStream & { isTTY?: boolean };
  /** Export Prometheus metrics. @default false */
  metrics?: boolean;
  /** Trace when the configuration asks for it. @default true */
  tracing?: boolean;
  /** What this process is (`api`, `worker`…): logged on every line as `service`. */
  role?: string;
}

/** Builds the logger the configuration describes (pretty on a terminal with `AUTONOMA_LOG_FORMAT=auto`). */
export async function loggerFor(
  config: Config,
  options: { destination?: DestinationStream & { isTTY?: boolean }; role?: string } = {},
): Promise<Logger> {
  const { createLogger, loadPrettyStream } = await import('./logger.ts');
  const tty = options.destination ? options.destination.isTTY === true : process.stdout.isTTY;
  const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && tty);
  return createLogger({
    level: config.logLevel,
    secrets: secretValues(config),
    format: pretty ? 'pretty' : 'json',
    ...(options.destination ? { destination: options.destination } : {}),
    ...(options.role ? { base: { service: `autonoma-${options.role}` } } : {}),
    ...(pretty ? { pretty: await loadPrettyStream({ colors: tty }) } : {}),
  });
}

/** Assembles a process's observability from its configuration. */
export async function createObservability(
  config: Config,
  options: ObservabilityOptions = {},
): Promise<Observability> {
  const logger =
    typeof options.logs === 'object'
      ? options.logs
      : options.logs === true
        ? await loggerFor(config, {
            ...(options.logDestination ? { destination: options.logDestination } : {}),
            ...(options.role ? { role: options.role } : {}),
          })
        : undefined;
  const metrics = options.metrics
    ? (await import('./metrics.ts')).createMetrics({
        onGaugeError: (error) => logger?.warn({ err: error }, 'could not read the gauges for /metrics'),
      })
    : undefined;
  const tracing =
    (options.tracing ?? true) && tracingEnabled(config) && config.otelEndpoint
      ? await startTracing({
          ...tracingOptionsOf(config),
          endpoint: config.otelEndpoint,
          serviceVersion: version,
          onExportError: (message) => logger?.warn({ endpoint: config.otelEndpoint }, message),
        })
      : undefined;
  return {
    logger,
    metrics,
    tracing,
    runs: createRunObserver({ metrics, tracing, logger }),
    watchStore: ({ db, clock }) => metrics?.addGaugeSource(storeGauges({ db, clock })) ?? (() => undefined),
    close: async () => {
      await tracing?.close();
      logger?.flush();
    },
  };
}
