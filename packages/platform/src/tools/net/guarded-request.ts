import type { IncomingMessage } from 'node:http';
import { ToolError } from '@autonoma/core';
import type { Allowlist } from './allowlist.ts';
import { openGuardedRequest } from './guarded-connect.ts';
import type { Resolver } from './guarded-lookup.ts';
import { SsrfBlockedError } from './guarded-lookup.ts';

/** An outbound HTTP request through the SSRF guard. */
export interface GuardedRequestOptions {
  method: string;
  url: string;
  headers?: Readonly<Record<string, string>>;
  body?: string;
  allow: Allowlist;
  /** @default the system resolver */
  resolver?: Resolver;
  /** Whole-call deadline across redirects. @default 15000 */
  timeoutMs?: number;
  /** Response bodies beyond this are cut and flagged `truncated`. @default 1048576 (1 MiB) */
  maxResponseBytes?: number;
  /** @default 5 */
  maxRedirects?: number;
  signal?: AbortSignal;
  /** Told about every refused destination (for the audit log) before the error is thrown. */
  onBlocked?: (refusal: SsrfBlockedError) => Promise<void> | void;
}

/** What came back from the final hop. */
export interface GuardedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  truncated: boolean;
  /** The URL of the final hop (after redirects). */
  url: string;
  redirects: number;
}

interface Hop {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string | undefined;
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const credentialHeaders = ['authorization', 'cookie', 'proxy-authorization'];

/** Parses an absolute URL; the SSRF guard judges it when the hop connects. */
function parseUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new ToolError('invalid_url', 'url is not a valid absolute URL');
  }
}

function flattenHeaders(response: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function sendHop(hop: Hop, options: GuardedRequestOptions, signal: AbortSignal, maxBytes: number) {
  return new Promise<Omit<GuardedResponse, 'url' | 'redirects'>>((resolve, reject) => {
    // Throws (and so rejects) before connecting when the SSRF guard refuses the hop's target.
    const request = openGuardedRequest(hop.url, {
      allow: options.allow,
      resolver: options.resolver,
      method: hop.method,
      headers: hop.headers,
      signal,
    });
    request.on('error', reject);
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const headers = flattenHeaders(response);
      if (redirectStatuses.has(status) && headers['location'] !== undefined) {
        response.resume();
        resolve({ status, headers, body: '', truncated: false });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      const finish = () =>
        resolve({ status, headers, body: Buffer.concat(chunks).toString('utf8'), truncated });
      response.on('data', (chunk: Buffer) => {
        if (truncated) return;
        const room = maxBytes - size;
        if (chunk.length > room) {
          chunks.push(chunk.subarray(0, room));
          size = maxBytes;
          truncated = true;
          finish();
          response.destroy();
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      response.on('end', finish);
      response.on('error', reject);
      response.on('close', () => {
        if (!response.complete && !truncated)
          reject(new ToolError('request_failed', 'connection closed early'));
      });
    });
    request.end(hop.body);
  });
}

function nextHop(hop: Hop, status: number, location: string): Hop {
  let url: URL;
  try {
    url = new URL(location, hop.url);
  } catch {
    throw new ToolError('invalid_redirect', `redirect to an invalid location from ${hop.url.host}`);
  }
  const headers = { ...hop.headers };
  if (url.origin !== hop.url.origin) for (const name of credentialHeaders) delete headers[name];
  // 303 always, and 301/302 after a POST, become a GET without a body (what browsers do).
  const toGet = status === 303 || ((status === 301 || status === 302) && hop.method === 'POST');
  if (!toGet) return { ...hop, url, headers };
  delete headers['content-type'];
  delete headers['content-length'];
  return { method: hop.method === 'HEAD' ? 'HEAD' : 'GET', url, headers, body: undefined };
}

function describeFailure(error: unknown, host: string, timedOut: boolean, timeoutMs: number): ToolError {
  if (timedOut) return new ToolError('timeout', `request to ${host} timed out after ${timeoutMs} ms`);
  if (error instanceof ToolError) return error;
  if (error instanceof Error && error.name === 'AbortError')
    return new ToolError('cancelled', 'request cancelled');
  const code = error instanceof Error && 'code' in error ? String(error.code) : 'unknown';
  return new ToolError('request_failed', `request to ${host} failed (${code})`);
}

/**
 * Sends an HTTP(S) request with the SSRF guard on the connected address of every hop, manual redirects
 * (each hop re-checked; credentials dropped across origins), a whole-call deadline and a response size
 * cap. Error messages name the host but never the path or query, which may hold secrets.
 */
export async function guardedRequest(options: GuardedRequestOptions): Promise<GuardedResponse> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxBytes = options.maxResponseBytes ?? 1_048_576;
  const maxRedirects = options.maxRedirects ?? 5;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  let hop: Hop | undefined;
  try {
    hop = {
      method: options.method.toUpperCase(),
      url: parseUrl(options.url),
      headers,
      body: options.body,
    };
    for (let redirects = 0; ; redirects += 1) {
      const response = await sendHop(hop, options, signal, maxBytes);
      const location = response.headers['location'];
      if (!redirectStatuses.has(response.status) || location === undefined) {
        return { ...response, url: hop.url.href, redirects };
      }
      if (redirects >= maxRedirects) {
        throw new ToolError('too_many_redirects', `more than ${maxRedirects} redirects from ${hop.url.host}`);
      }
      hop = nextHop(hop, response.status, location);
    }
  } catch (error: unknown) {
    const failure = describeFailure(error, hop?.url.host ?? 'the host', timeout.aborted, timeoutMs);
    if (failure instanceof SsrfBlockedError) await options.onBlocked?.(failure);
    throw failure;
  }
}
