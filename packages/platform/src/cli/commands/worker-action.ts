import { userError } from '@autonoma/core';
import type { Command } from 'commander';
import { parseConcurrency, parseQueues } from '../../jobs/queue-names.ts';
import { configFor, withApp } from '../app-context.ts';
import { processOutput } from '../output.ts';

/** A worker's default lease length: short, so a run whose worker died moves on within seconds. */
const workerLeaseTtlMs = 10_000;

/**
 * `autonoma worker [--queues Q] [--concurrency N]`: a worker pool in this process until SIGTERM (or
 * Ctrl-C), which drains it: no new job, every slice in flight commits its step and hands its run back.
 * A second signal exits at once; the sweeper of another worker takes over what was left.
 */
export async function runWorker(
  flags: { queues?: string; concurrency?: string },
  command: Command,
): Promise<void> {
  // Bad flags are refused before anything is opened.
  const queues = flags.queues === undefined ? undefined : parseQueues(flags.queues);
  const concurrency = flags.concurrency === undefined ? undefined : parseConcurrency(flags.concurrency);
  const { config } = configFor(command);
  if (queues === undefined) parseQueues(config.workerQueues, 'AUTONOMA_WORKER_QUEUES');
  if (config.server !== undefined)
    throw userError(
      'invalid_input',
      'a worker works on the store itself: it takes no --server (AUTONOMA_SERVER)',
    );
  const output = processOutput;
  // JSON logs on stdout (LOG_LEVEL), metrics on METRICS_PORT, traces with OTEL_EXPORTER_OTLP_ENDPOINT.
  const { observedJobLogger, startProcessObservability } =
    await import('../../observability/process-observability.ts');
  const observed = await startProcessObservability(config, { role: 'worker' });
  const { observability } = observed;
  const logger = observedJobLogger(observability.logger, observability.metrics);
  try {
    await withApp(
      command,
      async (app) => {
        const { startWorkerPool } = await import('../../worker.ts');
        const pool = await startWorkerPool(app, {
          ...(queues ? { queues } : {}),
          ...(concurrency ? { concurrency } : {}),
          logger,
        });
        const stopped = new Promise<void>((resolve) => {
          let signals = 0;
          const onSignal = (signal: NodeJS.Signals): void => {
            signals += 1;
            if (signals > 1) {
              output.err(
                `worker ${pool.id}: ${signal} again: stopping now; other workers take over what is left`,
              );
              void pool.abandon().finally(() => process.exit(1));
              return;
            }
            output.err(`worker ${pool.id}: ${signal}: draining (send it again to stop at once)`);
            pool
              .stop({ drain: true })
              .then(({ unfinished }) => {
                if (unfinished > 0) {
                  output.err(
                    `worker ${pool.id}: ${unfinished} slice(s) still running at the end of the grace period: left to other workers`,
                  );
                  // Their slices still hold connections and timers: leave without waiting for them.
                  process.exit(1);
                }
                output.err(`worker ${pool.id}: drained`);
              })
              .catch((error: unknown) => {
                output.err(`worker ${pool.id}: ${(error as Error).message}`);
                process.exitCode = 1;
              })
              .finally(resolve);
          };
          process.on('SIGTERM', onSignal);
          process.on('SIGINT', onSignal);
        });
        // Announced only once the signals are handled: a supervisor (or a test) that sends SIGTERM as
        // soon as it reads this line gets a drain, never the default action (an exit by the signal).
        output.err(
          `worker ${pool.id} · ${pool.transport === 'bullmq' ? 'BullMQ' : 'local queue'} · queues ${pool.queues.join(',')} · concurrency ${pool.concurrency} · pid ${process.pid}${observed.metricsServer ? ` · metrics on port ${observed.metricsServer.port}` : ''}`,
        );
        await stopped;
      },
      { leaseTtlMs: config.leaseTtlMs ?? workerLeaseTtlMs, jobLogger: logger, observability },
    );
  } finally {
    await observed.close();
  }
}
