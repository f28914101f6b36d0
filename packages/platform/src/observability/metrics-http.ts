/**
 * Serving `/metrics`: as a route of the API server (Fastify), and as a tiny `node:http` server of its
 * own on `METRICS_PORT` — what workers (which have no API port) and API replicas behind a proxy that
 * hides `/metrics` are scraped on. Both render the same registry. Unauthenticated (ARCHITECTURE §8):
 * keep the port inside the cluster network.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from './metrics.ts';

/**
 * A Fastify plugin serving `GET /metrics` (outside `/v1`, unauthenticated, hidden from the OpenAPI
 * document): `await api.register(metricsRoute(app.observability.metrics))`.
 */
export function metricsRoute(metrics: Metrics): FastifyPluginAsync {
  return async (api) => {
    api.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      reply.header('content-type', metrics.contentType);
      reply.header('cache-control', 'no-store');
      return metrics.render();
    });
  };
}

/** A `node:http` request handler answering `GET /metrics` (and 404 otherwise). */
export function metricsRequestHandler(
  metrics: Metrics,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(path === '/metrics' ? 405 : 404, { 'content-type': 'text/plain' });
      response.end(path === '/metrics' ? 'method not allowed\n' : 'not found: try /metrics\n');
      return;
    }
    metrics.render().then(
      (text) => {
        response.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(`metrics unavailable: ${error instanceof Error ? error.message : String(error)}\n`);
      },
    );
  };
}

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  metrics: Metrics;
  /** `METRICS_PORT` (0: any free port, for tests). */
  port: number;
  /**
   * Interface to listen on. All of them by default: Prometheus scrapes the process from another host
   * or container, whatever `HOST` the API binds to. @default '0.0.0.0'
   */
  host?: string;
}

/** A listening metrics server. */
export interface MetricsServer {
  /** e.g. `http://0.0.0.0:9464/metrics`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts the standalone metrics server (`autonoma serve` and `autonoma worker` when `METRICS_PORT`
 * is set). Fails with the port's error (`EADDRINUSE`…) when it cannot listen.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer(metricsRequestHandler(options.metrics));
  // A scrape holds nothing open: idle keep-alive sockets must not delay a drain.
  server.keepAliveTimeout = 5000;
  const host = options.host ?? '0.0.0.0';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/metrics`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
