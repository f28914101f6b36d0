import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { accountAuthenticator, localOwner, tokenAuthenticator } from '../../api/auth.ts';
import type { ControlEndpoint } from '../../api/control-endpoint.ts';
import { startControlEndpoint } from '../../api/control-endpoint.ts';
import { dashboardBuildCommand, dashboardBuilt, defaultDashboardDirectory } from '../../api/dashboard.ts';
import { createApiServer } from '../../api/server.ts';
import type { WorkerPool } from '../../worker.ts';
import { configFor } from '../app-context.ts';
import { processOutput } from '../output.ts';

/**
 * Resolves on the first SIGINT or SIGTERM; a second one (during the drain) calls `again`, which should
 * leave at once.
 */
const stopRequested = (again: (signal: NodeJS.Signals) => void): Promise<NodeJS.Signals> =>
  new Promise((resolveSignal) => {
    let signals = 0;
    const stop = (signal: NodeJS.Signals): void => {
      signals += 1;
      if (signals === 1) resolveSignal(signal);
      else again(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

/**
 * `autonoma serve [--port N] [--host H]`: the HTTP API. Embedded (no DATABASE_URL), this one process
 * holds the store and also advances its runs: the same worker pool as `autonoma worker`, on the local
 * queue, with its sweeper and scheduler (`startWorkerPool`, worker.ts). It serves the control socket for
 * other terminals; the API's credential is the local control credential (recorded, owner-only, in
 * `$AUTONOMA_HOME/control.json`). In a cluster it is a stateless replica: it writes runs and their jobs,
 * `autonoma worker` processes advance them. SIGTERM (or Ctrl-C) drains: no new request, every step in
 * flight commits and its run stays queued; a second signal stops at once.
 */
export async function serve(_flags: unknown, command: Command): Promise<void> {
  const { config } = configFor(command);
  const { createApp } = await import('../../app.ts');
  // JSON logs (LOG_LEVEL), /metrics here and on METRICS_PORT, traces with OTEL_EXPORTER_OTLP_ENDPOINT.
  const { observedJobLogger, startProcessObservability } =
    await import('../../observability/process-observability.ts');
  const observed = await startProcessObservability(config, { role: 'api' });
  const { observability } = observed;
  const logger = observedJobLogger(observability.logger, observability.metrics);
  const app = await createApp(config, { jobLogger: logger, observability }).catch(async (error: unknown) => {
    await observed.close();
    throw error;
  });
  const embedded = app.mode === 'embedded';
  const warn = (message: string): void => processOutput.err(`autonoma: ${message}`);
  // The local control credential over TCP: a fresh token per start, readable only by the home's owner.
  const token = embedded ? `lc_${randomBytes(32).toString('base64url')}` : undefined;
  // A request made a run runnable: its job row is written (the outbox); the local queue looks at once.
  const onRunnable = (): void => app.jobs.wakeup.notify();
  let control: ControlEndpoint | undefined;
  let pool: WorkerPool | undefined;
  let unfinished = 0;
  try {
    // The web dashboard at `/`, when it is built (`npm install` builds it; see docs/dashboard.md).
    const dashboardDirectory = defaultDashboardDirectory();
    const dashboard = dashboardBuilt(dashboardDirectory) ? dashboardDirectory : undefined;
    const api = await createApiServer(app, {
      // The local control token (embedded), then access JWTs and API keys (both modes).
      authenticators: [
        ...(token ? [tokenAuthenticator(token, localOwner())] : []),
        accountAuthenticator(app.services.auth),
      ],
      logger: { level: config.logLevel, redact: ['req.headers.authorization'] },
      onRunnable,
      ...(dashboard ? { dashboard } : {}),
    });
    const address = await api.listen({ port: config.port, host: config.host });
    if (embedded) {
      // Runs accepted before it starts wait as job rows; those an earlier process left are swept to it.
      const { startWorkerPool } = await import('../../worker.ts');
      pool = await startWorkerPool(app, { logger });
      control = await startControlEndpoint(app, {
        home: resolve(config.home),
        kind: 'serve',
        url: address,
        ...(token ? { token } : {}),
        onRunnable,
        warn,
      });
    }
    // Signals are handled before the server says it is up: a supervisor (or a test) that sends SIGTERM
    // as soon as it reads the line gets a drain, never the default action (an exit by the signal).
    const stopping = stopRequested((again) => {
      warn(`${again} again: stopping now; the runs left are resumed by the next sweep`);
      void Promise.allSettled([pool?.abandon(), control?.close()]).finally(() => process.exit(1));
    });
    processOutput.err(
      `autonoma: serving the API at ${address} (docs ${address}/docs) on ${embedded ? `the embedded store in ${resolve(config.home)}` : 'PostgreSQL'}`,
    );
    if (dashboard) processOutput.err(`autonoma: the dashboard is at ${address}/`);
    else
      warn(
        `the web dashboard is not built (no ${dashboardDirectory}); build it with \`${dashboardBuildCommand}\` and restart`,
      );
    if (!app.services.auth.signInEnabled)
      warn(
        'AUTONOMA_JWT_SECRET is not set: sign-in is off on this replica (API keys work); give every replica the same secret',
      );
    const signal = await stopping;
    warn(
      pool
        ? `${signal}: draining (send it again to stop at once); steps in flight commit, their runs stay queued`
        : `${signal}: stopping`,
    );
    await api.close();
  } finally {
    // No new request first, then the drain (after an error too: slices in flight commit within the grace).
    if (pool) ({ unfinished } = await pool.stop({ drain: true }));
    await control?.close();
    if (unfinished > 0) {
      warn(
        `${unfinished} slice(s) still running at the end of the grace period (AUTONOMA_SHUTDOWN_GRACE_MS): their runs are resumed by the next sweep`,
      );
      // Their slices still hold the store and timers: leave without waiting for them.
      process.exit(1);
    }
    await app.close();
    await observed.close();
  }
}
