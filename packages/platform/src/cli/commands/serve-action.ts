import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { accountAuthenticator, localOwner, tokenAuthenticator } from '../../api/auth.ts';
import type { ControlEndpoint } from '../../api/control-endpoint.ts';
import { startControlEndpoint } from '../../api/control-endpoint.ts';
import { startInProcessRuns } from '../../api/in-process-runs.ts';
import { dashboardBuildCommand, dashboardBuilt, defaultDashboardDirectory } from '../../api/dashboard.ts';
import { createApiServer } from '../../api/server.ts';
import { configFor } from '../app-context.ts';
import { processOutput } from '../output.ts';

/** Resolves on the first SIGINT or SIGTERM. */
const stopRequested = (): Promise<NodeJS.Signals> =>
  new Promise((resolveSignal) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolveSignal(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

/**
 * `autonoma serve [--port N] [--host H]`: the HTTP API. Embedded (no DATABASE_URL), this one process
 * holds the store, advances the runs created through the API, and serves the control socket for other
 * terminals; the API's credential is the local control credential (recorded, owner-only, in
 * `$AUTONOMA_HOME/control.json`). In a cluster it is a stateless replica.
 */
export async function serve(_flags: unknown, command: Command): Promise<void> {
  const { config } = configFor(command);
  const { createApp } = await import('../../app.ts');
  const app = await createApp(config);
  const embedded = app.mode === 'embedded';
  const warn = (message: string): void => processOutput.err(`autonoma: ${message}`);
  // The local control credential over TCP: a fresh token per start, readable only by the home's owner.
  const token = embedded ? `lc_${randomBytes(32).toString('base64url')}` : undefined;
  // THE SEAM: the queue's worker pool (`startWorkerPool(app)`, jobs/) replaces this in-process advancer.
  const runs = embedded ? startInProcessRuns(app, { warn }) : undefined;
  const onRunnable = (): void => runs?.wake();
  let control: ControlEndpoint | undefined;
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
      control = await startControlEndpoint(app, {
        home: resolve(config.home),
        kind: 'serve',
        url: address,
        ...(token ? { token } : {}),
        onRunnable,
        warn,
      });
    }
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
    const signal = await stopRequested();
    warn(`${signal}: stopping; steps in flight commit, their runs stay queued`);
    await api.close();
  } finally {
    await control?.close();
    await runs?.stop();
    await app.close();
  }
}
