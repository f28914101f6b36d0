/**
 * HTTP to an Autonoma server: a base URL (`--server`), or the control socket of the process holding an
 * embedded store (the same API over a Unix socket). JSON requests, and raw responses for streams.
 */
import type { IncomingMessage, RequestOptions } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AutonomaError, dependencyError } from '@autonoma/core';

/** Where a transport sends requests. */
export type Target = { kind: 'url'; url: URL } | { kind: 'socket'; path: string };

/** Options of one request. */
interface RequestInput {
  method: string;
  /** Path and query, from the server's root: `/v1/runs?limit=5`. */
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal;
}

/** HTTP requests to one server. */
export interface HttpTransport {
  /** For messages: `http://…` or `the control socket <path>`. */
  readonly label: string;
  /** Sends a JSON request; an error answer throws it as an AutonomaError (code, message, status). */
  json<T>(input: RequestInput): Promise<{ status: number; body: T }>;
  /** Sends a request and hands over the response as it streams (status not checked). */
  open(input: RequestInput): Promise<IncomingMessage>;
}

const userAgent = 'autonoma-cli';

/** Turns an error answer `{ error: { code, message } }` into the AutonomaError a local call would throw. */
export function answerError(status: number, text: string): AutonomaError {
  let code = status === 404 ? 'not_found' : 'internal';
  let message = `the server answered ${status}`;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
  } catch {
    // Not the API's error shape (a proxy's page): the status says enough.
  }
  return new AutonomaError(code, message, {
    status,
    category: status < 500 ? 'user' : status === 503 || status === 502 ? 'dependency' : 'system',
  });
}

const readText = (response: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (text += chunk));
    response.on('end', () => resolve(text));
    response.on('error', reject);
  });

/** A transport to `target`, sending `token` as a bearer token when given. */
export function createTransport(target: Target, token?: string): HttpTransport {
  const label = target.kind === 'url' ? target.url.origin : `the control socket ${target.path}`;
  const open = (input: RequestInput): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const payload = input.body === undefined ? undefined : JSON.stringify(input.body);
      const headers: Record<string, string> = {
        'user-agent': userAgent,
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...input.headers,
      };
      const options: RequestOptions = {
        method: input.method,
        headers,
        ...(input.signal ? { signal: input.signal } : {}),
        ...(target.kind === 'socket'
          ? { socketPath: target.path, path: input.path }
          : {
              protocol: target.url.protocol,
              hostname: target.url.hostname.replace(/^\[|\]$/g, ''),
              port: target.url.port,
              path: `${target.url.pathname.replace(/\/$/, '')}${input.path}`,
            }),
      };
      const send = target.kind === 'url' && target.url.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = send(options, resolve);
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (input.signal?.aborted) return reject(input.signal.reason);
        reject(dependencyError(`cannot reach ${label}: ${error.code ?? error.message}`, error));
      });
      request.end(payload);
    });
  return {
    label,
    open,
    async json<T>(input: RequestInput) {
      const response = await open({ ...input, headers: { accept: 'application/json', ...input.headers } });
      const text = await readText(response);
      const status = response.statusCode ?? 0;
      if (status >= 400) throw answerError(status, text);
      return { status, body: (text === '' ? undefined : JSON.parse(text)) as T };
    },
  };
}
