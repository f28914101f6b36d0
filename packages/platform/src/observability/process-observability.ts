/**
 * The observability of a long-running process (`autonoma serve`, `autonoma worker`): pino logs on
 * stdout, Prometheus metrics (served on `METRICS_PORT` when it is set, and by the API on its own port),
 * and traces when `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Hand `observability` to
 * `createApp({ observability })` and close the result after the app.
 */
import type { Config } from '../config/schema.ts';
import type { JobLogger } from '../jobs/job-logger.ts';
import type { Logger } from './logger.ts';
import type { MetricsServer } from './metrics-http.ts';
import type { Metrics } from './metrics.ts';
import type { Observability, ObservabilityOptions } from './observability.ts';
import { createObservability } from './observability.ts';

/** A process's observability and the metrics server it started. */
export interface ProcessObservability {
  readonly observability: Observability;
  /** The `/metrics` server on `METRICS_PORT`; `undefined` when the port is not set. */
  readonly metricsServer: MetricsServer | undefined;
  /** Stops the metrics server, exports the last spans and flushes the log. */
  close(): Promise<void>;
}

/** Options of {@link startProcessObservability}. */
export interface ProcessObservabilityOptions {
  /** `api` or `worker`: logged on every line as `service: autonoma-<role>`. */
  role: string;
  /** Where log lines go. @default stdout */
  logDestination?: ObservabilityOptions['logDestination'];
}

/**
 * Builds logs, metrics and traces for a long-running process and starts its metrics server on
 * `METRICS_PORT` (all interfaces). Fails with the port's error when it cannot listen.
 */
export async function startProcessObservability(
  config: Config,
  options: ProcessObservabilityOptions,
): Promise<ProcessObservability> {
  const observability = await createObservability(config, {
    logs: true,
    metrics: true,
    role: options.role,
    ...(options.logDestination ? { logDestination: options.logDestination } : {}),
  });
  let metricsServer: MetricsServer | undefined;
  try {
    if (config.metricsPort !== undefined && observability.metrics) {
      const { startMetricsServer } = await import('./metrics-http.ts');
      metricsServer = await startMetricsServer({ metrics: observability.metrics, port: config.metricsPort });
      observability.logger?.info({ url: metricsServer.url }, 'serving metrics');
    }
  } catch (error) {
    await observability.close();
    throw error;
  }
  return {
    observability,
    metricsServer,
    close: async () => {
      await metricsServer?.close();
      await observability.close();
    },
  };
}

/** The sweeper's line after it gave jobs to runs that had none (jobs/sweeper.ts), with `{ runs }`. */
export const sweeperRequeueMessage = 'requeued runs that had no job';

/**
 * The job system's logger (queue, relay, sweeper, worker pool) over the process logger, counting the
 * sweeper's requeues in `autonoma_sweeper_requeues_total` as it reports them.
 */
export function observedJobLogger(logger: Logger | undefined, metrics: Metrics | undefined): JobLogger {
  return {
    info: (fields, message) => {
      if (message === sweeperRequeueMessage && typeof fields['runs'] === 'number')
        metrics?.sweeperRequeue(fields['runs']);
      logger?.info(fields, message);
    },
    warn: (fields, message) => logger?.warn(fields, message),
    error: (fields, message) => logger?.error(fields, message),
  };
}
