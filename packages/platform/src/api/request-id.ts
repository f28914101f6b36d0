/**
 * A request id on every request: the client's `x-request-id` when it is a plain token (so a trace can
 * span the caller and the server), otherwise a new one; echoed in the `x-request-id` response header,
 * named in every error body and in the request's log lines.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** The request id header. */
export const requestIdHeader = 'x-request-id';

/** Ids a client may choose: short, no spaces or control characters (they end up in logs). */
const acceptable = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's `genReqId`: the client's id when acceptable, otherwise `req_<uuid>`. */
export function requestIdOf(request: IncomingMessage): string {
  const offered = request.headers[requestIdHeader];
  return typeof offered === 'string' && acceptable.test(offered) ? offered : `req_${randomUUID()}`;
}

/** Echoes the request id on every response, errors and 404s included (set before any handler runs). */
export function installRequestId(api: FastifyInstance): void {
  api.addHook('onRequest', async (request, reply) => {
    void reply.header(requestIdHeader, request.id);
  });
}
