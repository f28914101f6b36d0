/**
 * HTTP observability for the API server (Fastify): request metrics (`autonoma_http_request_duration_
 * seconds` by route template, method and status), a server span per request whose context is active
 * while the request is handled — so a run created by the request is stored with its context
 * (`RunObserver.runTraceContext`), and every job of the run (their payload's `trace`) joins its trace —
 * counts of rate-limit refusals and failed sign-ins, and the logger options that give every request's
 * log lines its `requestId`.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, FastifyTypeProvider } from 'fastify';
import { LogController } from 'fastify';
import type { Span } from '@opentelemetry/api';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { Tracing } from './tracing.ts';

/**
 * What {@link installHttpObservability} reports to; each part is optional. Rate-limit refusals
 * (`rate_limited`) and failed sign-ins (`invalid_credentials`) are counted from the errors the
 * request raised.
 */
export interface HttpObservability {
  metrics?: Metrics | undefined;
  tracing?: Tracing | undefined;
}

/** Paths left out: Prometheus' own scrapes would drown the API's traffic. */
const unobserved = new Set(['/metrics']);
/** Paths counted in metrics but not traced (probes every few seconds). */
const untraced = new Set(['/healthz', '/readyz', '/metrics']);

/** The route template of a request (`/v1/runs/:id`), or `unmatched` for a 404 (never the raw path). */
export const routeOf = (request: FastifyRequest): string => request.routeOptions.url ?? 'unmatched';

const pathOf = (url: string): string => {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
};

/**
 * Installs the hooks on the root instance, before any route is registered. Call it right after the
 * request-id hook and before any other `onRequest` hook (authentication): the hooks after it, and the
 * handler, run inside the request's span.
 */
export function installHttpObservability<Log extends FastifyBaseLogger, Provider extends FastifyTypeProvider>(
  api: FastifyInstance<Server, IncomingMessage, ServerResponse, Log, Provider>,
  observability: HttpObservability,
): void {
  const { metrics, tracing } = observability;
  const spans = new WeakMap<FastifyRequest, Span>();
  if (tracing) {
    const { api: otel, tracer } = tracing;
    api.addHook('onRequest', (request, _reply, done) => {
      const path = pathOf(request.url);
      if (untraced.has(path)) {
        done();
        return;
      }
      const headers: Record<string, string> = {};
      for (const name of ['traceparent', 'tracestate']) {
        const value = request.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const parent = tracing.extract(headers);
      // No query string in any attribute: it may carry a token.
      const span = tracer.startSpan(
        request.method,
        {
          kind: otel.SpanKind.SERVER,
          attributes: {
            'http.request.method': request.method,
            'url.path': path,
            'url.scheme': request.protocol,
            'autonoma.request.id': request.id,
          },
        },
        parent,
      );
      spans.set(request, span);
      tracing.with(otel.trace.setSpan(parent, span), done);
    });
    // The body is parsed in the request stream's callbacks, outside the context entered above: enter it
    // again just before the handler, so that what the handler starts (a run, its job) is in the span.
    api.addHook('preHandler', (request, _reply, done) => {
      const span = spans.get(request);
      if (span) tracing.with(otel.trace.setSpan(otel.context.active(), span), done);
      else done();
    });
    // A client that goes away before the answer (a closed stream) gets no onResponse.
    api.addHook('onRequestAbort', async (request) => {
      const span = spans.get(request);
      if (!span) return;
      span.setAttribute('error.type', 'aborted');
      span.end();
      spans.delete(request);
    });
  }
  if (metrics) {
    // Refusals the operators watch, whichever route or hook threw them (errors.ts answers them).
    api.addHook('onError', async (_request, _reply, error) => {
      const code = (error as { code?: unknown }).code;
      if (code === 'rate_limited') metrics.rateLimited();
      else if (code === 'invalid_credentials') metrics.loginFailed();
    });
  }
  api.addHook('onResponse', async (request, reply) => {
    const route = routeOf(request);
    const status = reply.statusCode;
    if (metrics && !unobserved.has(route))
      metrics.httpRequest(route, request.method, status, reply.elapsedTime / 1000);
    const span = spans.get(request);
    if (span && tracing) {
      span.updateName(`${request.method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': status });
      if (status >= 500) {
        span.setAttribute('error.type', String(status));
        span.setStatus({ code: tracing.api.SpanStatusCode.ERROR });
      }
      span.end();
      spans.delete(request);
    }
  });
}

/**
 * Fastify options that log through `logger` with the request id under `requestId` on every line of a
 * request: spread them into `Fastify({ ... })` (instead of `logger`).
 */
export function apiLoggerOptions(logger: Logger): {
  loggerInstance: FastifyBaseLogger;
  logController: LogController;
} {
  return { loggerInstance: logger, logController: new LogController({ requestIdLogLabel: 'requestId' }) };
}
