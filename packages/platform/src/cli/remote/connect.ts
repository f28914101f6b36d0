/**
 * How a CLI command reaches Autonoma:
 * 1. `--server URL` (or `AUTONOMA_SERVER`): that server, with `AUTONOMA_TOKEN`, else the session
 *    `autonoma login` stored for it, else — for a server on this machine serving this very home — the
 *    local control credential it recorded;
 * 2. otherwise the embedded store, opened in this process;
 * 3. and when another process holds that store (`database_locked`), that process's control socket,
 *    transparently: the command prints the same output and exits with the same code.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { AutonomaError, userError } from '@autonoma/core';
import type { App } from '../../app.ts';
import type { ControlRecord } from '../../api/control-socket.ts';
import { readControlRecord } from '../../api/control-socket.ts';
import type { Config } from '../../config/index.ts';
import { configFor } from '../app-context.ts';
import { ApiClient } from './api-client.ts';
import type { CliBackend } from './backend.ts';
import { createTransport } from './http-transport.ts';
import { localBackend } from './local-backend.ts';
import { sessionAccessToken, withSessionHint } from './session.ts';

/** How long a command waits for a store held by a process that serves no control socket (yet). */
const lockedWaitMs = 5000;

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** True when `a` and `b` are the same server on this machine (loopback host names are one). */
function sameLocalServer(a: URL, b: URL): boolean {
  if (a.protocol !== b.protocol || a.port !== b.port) return false;
  return a.hostname === b.hostname || (loopbackHosts.has(a.hostname) && loopbackHosts.has(b.hostname));
}

/** The absolute home of a configuration. */
export const homeOf = (config: Config): string => resolve(config.home);

/**
 * A client of `config.server`. The bearer token is `AUTONOMA_TOKEN`; without one, the session
 * `autonoma login` stored for that server; without one, a local server that recorded its control
 * credential in this home (`autonoma serve`) gets that — never any other server.
 */
export async function serverClient(config: Config & { server: string }): Promise<ApiClient> {
  const url = new URL(config.server);
  const session = config.token === undefined ? await sessionAccessToken(config, config.server) : undefined;
  let token = config.token ?? session;
  if (token === undefined) {
    const record = await readControlRecord(homeOf(config));
    if (record?.url && record.token && sameLocalServer(new URL(record.url), url)) token = record.token;
  }
  const transport = createTransport({ kind: 'url', url }, token);
  return new ApiClient(session !== undefined ? withSessionHint(transport, config.server) : transport);
}

/** True for the error of a store another process holds. */
export const isLocked = (error: unknown): error is AutonomaError =>
  error instanceof AutonomaError && error.code === 'database_locked';

/** The holder's control endpoint, when its record names a socket that answers. */
async function controlClient(
  home: string,
): Promise<{ client: ApiClient; record: ControlRecord } | undefined> {
  const record = await readControlRecord(home);
  if (!record) return undefined;
  const client = new ApiClient(createTransport({ kind: 'socket', path: record.socket }));
  try {
    await client.transport.json({ method: 'GET', path: '/healthz' });
    return { client, record };
  } catch {
    // Stale: its process was killed (the store's lock is then free) or is not listening yet.
    return undefined;
  }
}

/** An open connection to Autonoma. */
export type Connection =
  | { kind: 'local'; app: App; backend: CliBackend; close(): Promise<void> }
  | { kind: 'remote'; client: ApiClient; backend: CliBackend; close(): Promise<void> };

/**
 * Connects as described above. A store held by a process with no control socket is waited for (it may
 * be a short command, or one still starting) for a few seconds, then the lock's error is thrown.
 */
export async function connect(command: Command): Promise<Connection> {
  const { config } = configFor(command);
  if (config.server) {
    const client = await serverClient({ ...config, server: config.server });
    return { kind: 'remote', client, backend: client, close: async () => undefined };
  }
  // Loaded on demand so `--help` and `--version` start instantly.
  const { createApp } = await import('../../app.ts');
  const deadline = Date.now() + lockedWaitMs;
  for (;;) {
    try {
      const app = await createApp(config);
      return { kind: 'local', app, backend: localBackend(app), close: () => app.close() };
    } catch (error) {
      if (!isLocked(error)) throw error;
      const control = await controlClient(homeOf(config));
      if (control)
        return {
          kind: 'remote',
          client: control.client,
          backend: control.client,
          close: async () => undefined,
        };
      if (Date.now() > deadline) throw error;
      await new Promise((done) => setTimeout(done, 100));
    }
  }
}

/** Runs `action` with a backend (see {@link connect}) and always closes it. */
export async function withBackend<T>(
  command: Command,
  action: (backend: CliBackend) => Promise<T>,
): Promise<T> {
  const connection = await connect(command);
  try {
    return await action(connection.backend);
  } finally {
    await connection.close();
  }
}

/**
 * Refuses `--server` for a command that works only on the store's own machine (it needs the tools,
 * the sandboxes or the store itself), rather than silently acting on the local store instead.
 */
export function refuseServer(command: Command, what: string): void {
  if (configFor(command).config.server)
    throw userError('invalid_input', `${what} works on the store's own machine, not through --server`);
}
