/**
 * What every answer of the API gets, whoever calls: security headers (`@fastify/helmet`, with a strict
 * Content-Security-Policy that still lets `/docs` work), CORS only for the configured origins (each
 * echoed only when listed; never `*`, never cookies), JSON bodies no deeper than {@link maxJsonDepth},
 * and a request rate per client address (whose address comes from the socket, or from the configured
 * number of proxy hops in `X-Forwarded-For` — see `trustProxy` in server.ts).
 */
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import { AutonomaError } from '@autonoma/core';
import type { FastifyInstance } from 'fastify';
import type { RateLimit, RateLimiter } from './rate-limit.ts';

/** How deeply a JSON body may nest (objects and arrays). */
export const maxJsonDepth = 64;

/** Paths never rate limited: probes and scrapes must answer while the API is flooded. */
const unlimitedPaths = new Set(['/healthz', '/readyz', '/metrics']);

/** Options of {@link installHardening}. */
export interface HardeningOptions {
  /** Origins allowed to call cross-origin; empty: CORS off. */
  corsOrigins: readonly string[];
  limiter?: RateLimiter;
  /** Requests per client address. */
  addressLimit?: RateLimit;
}

/**
 * True when `text` (JSON) nests deeper than `limit`: one pass over the characters, skipping strings,
 * before the parser (which would recurse) sees it.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c) index += 1;
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x7b || code === 0x5b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (code === 0x7d || code === 0x5d) depth -= 1;
  }
  return false;
}

/** Installs the headers, CORS, the JSON parser and the per-address limit on the root instance. */
export async function installHardening(api: FastifyInstance, options: HardeningOptions): Promise<void> {
  await api.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        // Swagger UI (`/docs`) draws its icons as data: SVGs.
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
      },
    },
    // Served over plain HTTP on loopback too: HSTS is the TLS terminator's to send.
    strictTransportSecurity: false,
  });
  if (options.corsOrigins.length > 0)
    await api.register(fastifyCors, {
      origin: [...options.corsOrigins],
      // Bearer tokens, never cookies: a cross-origin page gets nothing a credential-less fetch would not.
      credentials: false,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'last-event-id', 'x-request-id'],
      exposedHeaders: ['x-request-id', 'retry-after', 'location'],
      maxAge: 600,
    });

  const parseJson = api.getDefaultJsonParser('error', 'error');
  api.removeContentTypeParser('application/json');
  api.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (nestsDeeperThan(text, maxJsonDepth))
      return done(
        new AutonomaError('invalid_input', `body: JSON nested deeper than ${maxJsonDepth} levels`, {
          category: 'user',
        }),
        undefined,
      );
    return parseJson(request, text, done);
  });

  const { limiter, addressLimit } = options;
  if (limiter && addressLimit && addressLimit.max > 0)
    api.addHook('onRequest', async (request) => {
      // A connection to the control socket has no address (and only its owner can open one).
      if (!request.ip || unlimitedPaths.has(request.url.split('?')[0] ?? '')) return;
      await limiter.check(`ip:${request.ip}`, addressLimit);
    });
}
