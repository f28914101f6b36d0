/**
 * Every failure of the API answers `{ error: { code, message, requestId } }` (ARCHITECTURE §8) with the
 * status of its code (core's `errorStatus` table). Messages of client errors (4xx) are written for
 * people and pass through; anything else gets a generic message, so a stack trace, a SQL statement or
 * a driver message never leaves the server (they are logged instead).
 */
import { AutonomaError, userError } from '@autonoma/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

/** An error as the API answers it. */
export interface ApiError {
  status: number;
  code: string;
  message: string;
  /** Seconds a client should wait before retrying (503s). */
  retryAfter?: number;
}

/** How long a client should wait after a dependency outage. @default 5 */
const retryAfterSeconds = 5;

/** Codes of Fastify's own client errors, by status. */
const codeOfStatus: Readonly<Record<number, string>> = {
  400: 'invalid_input',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'rate_limited',
};

/** Socket errors meaning a dependency (the database, Redis) is down: retrying later can help. */
const outageCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

const unavailable = (): ApiError => ({
  status: 503,
  code: 'dependency_unavailable',
  message: 'a service Autonoma depends on is unavailable; try again shortly',
  retryAfter: retryAfterSeconds,
});

/** `body.goal`, `query.limit`, `body` (for the whole body). */
const where = (context: string | undefined, path: string): string =>
  [context ?? 'request', ...path.split('/').filter(Boolean)].join('.');

/** The first schema violation of a request, naming the field: `body.goal: expected string`. */
function validationMessage(error: FastifyError): string {
  const issue = error.validation?.[0];
  if (!issue) return 'invalid request';
  const field = where(error.validationContext, issue.instancePath);
  const keys = (issue.params as { keys?: unknown }).keys;
  if (issue.keyword === 'unrecognized_keys' && Array.isArray(keys))
    return `${field}: unknown field${keys.length === 1 ? '' : 's'} ${keys.map((key) => `'${String(key)}'`).join(', ')}`;
  return `${field}: ${issue.message ?? 'invalid'}`;
}

const isFastifyError = (error: unknown): error is FastifyError =>
  error instanceof Error && typeof (error as Partial<FastifyError>).statusCode === 'number';

/** Maps anything thrown while answering a request to the answer a client may see. */
export function toApiError(error: unknown): ApiError {
  if (hasZodFastifySchemaValidationErrors(error))
    return { status: 400, code: 'invalid_input', message: validationMessage(error as FastifyError) };
  if (error instanceof AutonomaError) {
    if (error.status === 503 || error.category === 'dependency') return unavailable();
    if (error.status >= 500) return { status: error.status, code: error.code, message: 'internal error' };
    const retryAfter = error.details?.['retryAfterSeconds'];
    return {
      status: error.status,
      code: error.code,
      message: error.message,
      // A 429 says when to come back (rate limits, sign-in throttling, run quotas).
      ...(typeof retryAfter === 'number' ? { retryAfter } : {}),
    };
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && outageCodes.has(code)) return unavailable();
  if (
    isFastifyError(error) &&
    error.statusCode !== undefined &&
    error.statusCode >= 400 &&
    error.statusCode < 500
  ) {
    const status = error.statusCode;
    return { status, code: codeOfStatus[status] ?? 'invalid_input', message: error.message };
  }
  return { status: 500, code: 'internal', message: 'internal error' };
}

/** The body of an error answer. */
export const errorBody = (error: ApiError, requestId: string) => ({
  error: { code: error.code, message: error.message, requestId },
});

/** Sends `error` in the API's error shape. */
export function sendError(reply: FastifyReply, request: FastifyRequest, error: ApiError): FastifyReply {
  if (error.retryAfter !== undefined) void reply.header('retry-after', String(error.retryAfter));
  return reply.code(error.status).send(errorBody(error, request.id));
}

/** Installs the error handler and the not-found handler on the root instance. */
export function installErrorHandling(api: FastifyInstance): void {
  api.setErrorHandler((error, request, reply) => {
    const answer = toApiError(error);
    if (answer.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendError(reply, request, answer);
  });
  api.setNotFoundHandler((request, reply) =>
    sendError(reply, request, {
      status: 404,
      code: 'not_found',
      message: `no route ${request.method} ${request.url.split('?')[0] ?? ''}`,
    }),
  );
}

/** A client error about one request value: `query.cursor: not a cursor of this list`. */
export const requestError = (field: string, message: string): AutonomaError =>
  userError('invalid_input', `${field}: ${message}`);
