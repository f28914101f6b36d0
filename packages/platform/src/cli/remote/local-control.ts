/**
 * The control endpoint of a CLI process that holds the embedded store (`autonoma run`, `resume`):
 * started alongside the work, never before it, so other terminals can list, cancel and approve.
 */
import { resolve } from 'node:path';
import type { App } from '../../app.ts';
import type { ControlRecord } from '../../api/control-socket.ts';
import { errorLine, processOutput } from '../output.ts';

/** A control endpoint being started; `close` waits for the start, then stops it. */
export interface LocalControl {
  close(): Promise<void>;
}

/** Starts the control endpoint of an embedded app in the background (nothing for a cluster). */
export function startLocalControl(app: App, kind: ControlRecord['kind']): LocalControl {
  if (app.mode !== 'embedded') return { close: async () => undefined };
  const starting = import('../../api/control-endpoint.ts')
    .then(({ startControlEndpoint }) => startControlEndpoint(app, { home: resolve(app.config.home), kind }))
    .catch((error: unknown) => {
      processOutput.err(`autonoma: other terminals cannot reach this process: ${errorLine(error)}`);
      return undefined;
    });
  return {
    async close() {
      await (await starting)?.close();
    },
  };
}
