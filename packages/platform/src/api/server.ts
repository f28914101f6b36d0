/**
 * The HTTP API (ARCHITECTURE §8): Fastify with zod schemas on every route, the OpenAPI 3.1 document
 * generated from them, one error shape, a request id on every request, and `/v1` behind the
 * authentication seam. The same server answers on TCP (`autonoma serve`) and on the control socket of
 * the process that holds an embedded store; only its authenticators differ.
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import type { Run } from '@autonoma/core';
import Fastify from 'fastify';
import type { FastifyServerOptions } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  createJsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { App } from '../app.ts';
import { apiLoggerOptions, installHttpObservability } from '../observability/http-observability.ts';
import { metricsRoute } from '../observability/metrics-http.ts';
import { version } from '../version.ts';
import type { Authenticator } from './auth.ts';
import { installAuthentication } from './auth.ts';
import { installDashboard } from './dashboard.ts';
import { installErrorHandling } from './errors.ts';
import { installHardening } from './hardening.ts';
import { isAction, rolesAllowed } from './permissions.ts';
import type { RateLimitStore } from './rate-limit.ts';
import { createRateLimiter, memoryRateLimitStore, redisRateLimitStore } from './rate-limit.ts';
import { auditDenial, installRequestAudit } from './request-audit.ts';
import type { ReadinessCheck } from './readiness.ts';
import { defaultReadiness } from './readiness.ts';
import { installRequestId, requestIdOf } from './request-id.ts';
import { healthRoutes } from './routes/health.ts';
import { v1Routes } from './routes/index.ts';
import { runWebSocketOperation } from './routes/run-events.ts';
import type { Api, RouteDeps } from './routes/route-deps.ts';

/** Options of {@link createApiServer}. */
export interface ApiServerOptions {
  /** Turn a request's credential into a principal, tried in order (see auth.ts). */
  authenticators: readonly Authenticator[];
  /** Fastify's logger option (pino). @default false */
  logger?: FastifyServerOptions['logger'];
  /** Heartbeat interval of live streams. @default 15000 */
  heartbeatMs?: number;
  /** Told when a request made a run runnable (whoever advances runs may look now). */
  onRunnable?: (run: Run) => void;
  /** What `/readyz` checks. @default the store, and Redis in a cluster */
  readiness?: readonly ReadinessCheck[];
  /** Serve `/openapi.json` and `/docs`. @default true */
  docs?: boolean;
  /** Serve on a server made elsewhere (the control socket's, listening before Fastify is loaded). */
  serverFactory?: FastifyServerOptions['serverFactory'];
  /** Largest request body, in bytes. @default 1048576 */
  bodyLimit?: number;
  /**
   * Where request rates are counted. @default Redis in a cluster with REDIS_URL (limits hold across
   * replicas), this process otherwise
   */
  rateLimitStore?: RateLimitStore;
  /** Serve the built web dashboard in this directory at `/` (see dashboard.ts). @default none */
  dashboard?: string;
}

/**
 * Trusts the first `hops` addresses from the socket's end of the chain (proxy-addr's hop index: 0 is the
 * socket's peer), so the client address is the one the last trusted proxy appended.
 */
const trustHops =
  (hops: number) =>
  (_address: string, hop: number): boolean =>
    hop < hops;

/**
 * Builds the API over an app's services (not listening yet: call `listen`, or route a server's
 * requests to it). Closing it ends open streams and releases the readiness checks; the app stays open.
 */
export async function createApiServer(app: App, options: ApiServerOptions): Promise<Api> {
  const { logger, metrics, tracing } = app.observability;
  const api: Api = Fastify({
    // The process logger (requestId on every line, secrets redacted) when the process has one.
    ...(logger ? apiLoggerOptions(logger) : { logger: options.logger ?? false }),
    genReqId: requestIdOf,
    requestIdHeader: false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // The client address is the socket's, or the one this many proxies appended (a fixed count:
    // whatever a client writes in X-Forwarded-For beyond them gains it nothing).
    trustProxy: app.config.trustProxyHops > 0 ? trustHops(app.config.trustProxyHops) : false,
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
  }).withTypeProvider<ZodTypeProvider>();
  api.setValidatorCompiler(validatorCompiler);
  api.setSerializerCompiler(serializerCompiler);
  installRequestId(api);
  // Before any other hook: what follows runs inside the request's span, and every request is timed.
  installHttpObservability(api, { metrics, tracing });
  installErrorHandling(api);
  const { config } = app;
  const limiter = createRateLimiter(
    options.rateLimitStore ??
      (app.mode === 'cluster' && config.redisUrl
        ? await redisRateLimitStore(config.redisUrl)
        : memoryRateLimitStore(app.clock)),
  );
  await installHardening(api, {
    corsOrigins: config.corsOrigins,
    limiter,
    addressLimit: { max: config.rateLimitPerIpPerMinute },
  });

  const closing: (() => void)[] = [];
  const readiness = options.readiness ?? defaultReadiness(app);
  api.addHook('preClose', async () => {
    for (const close of closing) close();
  });
  api.addHook('onClose', async () => {
    await Promise.all(readiness.map((check) => check.close?.()));
    await limiter.close();
  });

  const docs = options.docs ?? true;
  if (docs) {
    await api.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Autonoma API',
          version,
          description: 'Durable autonomous agents: agents, runs and their live events, memories, audit.',
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
      transform: withPermissions(createJsonSchemaTransform({ skipList: [] })),
      transformObject: (document) => withWebSocketRoutes(jsonSchemaTransformObject(document)),
    });
    await api.register(fastifySwaggerUi, { routePrefix: '/docs' });
    api.get('/openapi.json', { schema: { hide: true } }, async () => api.swagger());
  }
  await api.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });

  healthRoutes(api, readiness);
  if (metrics) await api.register(metricsRoute(metrics));
  const deps: RouteDeps = {
    services: app.services,
    tools: app.tools,
    bus: app.bus,
    streams: { heartbeatMs: options.heartbeatMs ?? 15_000 },
    onRunnable: options.onRunnable ?? (() => undefined),
    onClose: (close) => void closing.push(close),
  };
  await api.register(
    async (v1) => {
      installAuthentication(v1, {
        authenticators: options.authenticators,
        limiter,
        limit: { max: config.rateLimitPerMinute },
        onDenied: auditDenial(app.services.audit),
        allowedOrigins: config.corsOrigins,
      });
      installRequestAudit(v1, app.services.audit);
      for (const routes of v1Routes) routes(v1, deps);
    },
    { prefix: '/v1' },
  );
  if (options.dashboard !== undefined) await installDashboard(api, options.dashboard);
  return api;
}

type SchemaTransform = ReturnType<typeof createJsonSchemaTransform>;

/**
 * Documents who may call each `/v1` operation, from the permission table: `x-permission` (the action)
 * and `x-roles` (the roles allowed; empty for the routes that take no credential). Clients and the
 * security suites read the table from the document instead of a copy of it.
 */
function withPermissions(transform: SchemaTransform): SchemaTransform {
  return (input) => {
    const output = transform(input);
    const permission: unknown = input.route.config?.permission;
    if (!isAction(permission) || !output.schema || output.schema.hide) return output;
    return {
      ...output,
      schema: { ...output.schema, 'x-permission': permission, 'x-roles': [...rolesAllowed(permission)] },
    };
  };
}

/**
 * @fastify/websocket hides WebSocket routes from the document (they answer an upgrade, not JSON); the
 * document still lists them, described by hand.
 */
function withWebSocketRoutes<T extends object>(document: T): T {
  const paths = (document as { paths?: Record<string, unknown> }).paths ?? {};
  return { ...document, paths: { ...paths, '/v1/runs/{id}/ws': { get: runWebSocketOperation } } };
}
