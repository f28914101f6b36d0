/**
 * The local control endpoint (issue 8, item 7): the process that holds an embedded store serves the
 * API on a Unix socket under the home, so that other CLI processes on the same home — which cannot
 * open the locked store — list, show, cancel, approve and deny through it. A connection is the local
 * owner: only the socket's owner can connect (the socket is 0600 in a 0700 directory).
 *
 * The socket listens at once (a cheap `node:http` server); Fastify is loaded on the first request, so
 * a run pays nothing unless someone connects. The socket and the record are removed on close, and on
 * exit; a socket left by a killed process is found stale (nothing answers it) and replaced.
 */
import { lstatSync, unlinkSync } from 'node:fs';
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import type { Run } from '@autonoma/core';
import { conflict, userError } from '@autonoma/core';
import type { App } from '../app.ts';
import { isBackupRequest, serveBackup } from '../backup/backup-endpoint.ts';
import { localOwner, trustedConnection } from './auth.ts';
import type { ControlRecord } from './control-socket.ts';
import { controlSocketPath, removeControlRecord, writeControlRecord } from './control-socket.ts';
import type { Api } from './routes/route-deps.ts';

/** Options of {@link startControlEndpoint}. */
export interface ControlEndpointOptions {
  /** The home (absolute) whose store this process holds. */
  home: string;
  /** What this process is (recorded for clients). */
  kind: ControlRecord['kind'];
  /** `serve`: its TCP URL and token, recorded for local clients. */
  url?: string;
  token?: string;
  /** Told when a request made a run runnable. */
  onRunnable?: (run: Run) => void;
  /** Where a failure to load the API is reported. @default stderr */
  warn?: (message: string) => void;
}

/** A listening control endpoint. */
export interface ControlEndpoint {
  readonly socketPath: string;
  /** Stops listening, ends open streams, removes the socket and the record. */
  close(): Promise<void>;
}

const errorCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

/** The socket's directory: created 0700, and refused when it is not ours or not private. */
async function prepareDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const stat = await lstat(directory);
  if (!stat.isDirectory() || (process.getuid && stat.uid !== process.getuid()))
    throw userError(
      'invalid_config',
      `the control socket's directory ${directory} is not a directory of this user`,
    );
  if ((stat.mode & 0o077) !== 0) await chmod(directory, 0o700);
}

/** True when something answers on the socket `path`. */
const answers = (path: string): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const listen = (server: Server, path: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(path, () => {
      server.off('error', onError);
      resolve();
    });
  });

/** Listens on `path`, replacing a stale socket a killed process left behind. */
async function listenReplacingStale(server: Server, path: string): Promise<void> {
  try {
    await listen(server, path);
  } catch (error) {
    if (errorCode(error) !== 'EADDRINUSE') throw error;
    if (await answers(path))
      throw conflict('control_endpoint_in_use', `another process already serves the control socket ${path}`);
    await unlink(path).catch(() => undefined);
    await listen(server, path);
  }
}

/** Starts the control endpoint of `app`'s embedded store; resolves once the socket listens. */
export async function startControlEndpoint(
  app: App,
  options: ControlEndpointOptions,
): Promise<ControlEndpoint> {
  const socketPath = controlSocketPath(options.home);
  await prepareDirectory(dirname(socketPath));
  let api: Promise<Api> | undefined;
  let route: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
  const server = createServer((request, response) => {
    // `autonoma backup` while this process holds the store: the image is taken here (backup/).
    if (isBackupRequest(request)) return serveBackup(app.database, request, response);
    if (route) return route(request, response);
    api ??= loadApi(app, server, options, (handler) => (route = handler));
    api.then(
      () => route?.(request, response),
      () => {
        response.writeHead(503, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            error: { code: 'dependency_unavailable', message: 'the API could not start', requestId: '' },
          }),
        );
      },
    );
  });
  await listenReplacingStale(server, socketPath);
  await chmod(socketPath, 0o600);
  const inode = lstatSync(socketPath).ino;
  const ours = (): boolean => {
    try {
      return lstatSync(socketPath).ino === inode;
    } catch {
      return false;
    }
  };
  // A process that exits without closing (process.exit) still removes its socket.
  const onExit = (): void => {
    if (ours()) unlinkSync(socketPath);
  };
  process.once('exit', onExit);
  await writeControlRecord(options.home, {
    pid: process.pid,
    kind: options.kind,
    socket: socketPath,
    ...(options.url ? { url: options.url } : {}),
    ...(options.token ? { token: options.token } : {}),
  });
  let closing: Promise<void> | undefined;
  return {
    socketPath,
    close: () =>
      (closing ??= (async () => {
        process.off('exit', onExit);
        const loaded = await api?.catch(() => undefined);
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await loaded?.close();
        server.closeAllConnections();
        await stopped;
        if (ours()) await unlink(socketPath).catch(() => undefined);
        await removeControlRecord(options.home, process.pid);
      })()),
  };
}

/** Builds the API on the socket's server (first request); hands its request handler over once ready. */
async function loadApi(
  app: App,
  server: Server,
  options: ControlEndpointOptions,
  ready: (handler: (request: IncomingMessage, response: ServerResponse) => void) => void,
): Promise<Api> {
  try {
    const { createApiServer } = await import('./server.ts');
    let handler: ((request: IncomingMessage, response: ServerResponse) => void) | undefined;
    const api = await createApiServer(app, {
      authenticators: [trustedConnection(localOwner())],
      docs: false,
      serverFactory: (handle) => {
        handler = handle;
        return server;
      },
      ...(options.onRunnable ? { onRunnable: options.onRunnable } : {}),
    });
    await api.ready();
    if (handler) ready(handler);
    return api;
  } catch (error) {
    (options.warn ?? ((message) => process.stderr.write(`${message}\n`)))(
      `autonoma: the control endpoint could not start: ${(error as Error).message}`,
    );
    throw error;
  }
}
