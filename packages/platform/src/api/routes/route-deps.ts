/** What a `/v1` resource module is given: the services, and nothing that reaches the store. */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { EventBus, Run, ToolHost } from '@autonoma/core';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Services } from '../../services/index.ts';

/** The Fastify instance routes are registered on, typed by their zod schemas. */
export type Api = FastifyInstance<
  Server,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** Settings of live streams (SSE and WebSocket). */
export interface StreamSettings {
  /** Interval of heartbeats (an SSE comment, a WebSocket ping). @default 15000 */
  heartbeatMs: number;
}

/** The dependencies of the route modules. */
export interface RouteDeps {
  services: Services;
  /** The tools runs can use (listed by `/v1/tools`). */
  tools: ToolHost;
  /** Live events of runs, for the streams. */
  bus: EventBus;
  streams: StreamSettings;
  /** Told when a request made a run runnable (created, approved): whoever advances runs may look now. */
  onRunnable(run: Run): void;
  /** Called when the server closes: open streams end. */
  onClose(close: () => void): void;
}

/** One `/v1` resource: registers its routes (each naming its permission) on the `/v1` instance. */
export type ApiRoutes = (api: Api, deps: RouteDeps) => void;
