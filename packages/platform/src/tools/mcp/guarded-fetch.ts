import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Allowlist, Resolver } from '../net/index.ts';
import { openGuardedRequest } from '../net/index.ts';

/** Options for {@link createGuardedFetch}. */
export interface GuardedFetchOptions {
  allow: Allowlist;
  /** @default the system resolver */
  resolver?: Resolver;
}

// Statuses whose responses have no body; `new Response(body)` refuses one for them.
const nullBodyStatuses = new Set([101, 103, 204, 205, 304]);

async function bodyBytes(body: RequestInit['body']): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // Anything else (streams, forms, blobs) goes through the platform's own serialization.
  return Buffer.from(await new Response(body).arrayBuffer());
}

function toHeaders(response: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  return headers;
}

/**
 * A `fetch` for the MCP streamable HTTP transport that connects only where the SSRF guard allows, through
 * {@link openGuardedRequest} like `guardedRequest`. Unlike `guardedRequest` it streams the response body,
 * which server-sent events need.
 * Redirects are never followed here: a 3xx is returned as is, and the MCP transport's own redirect
 * handling calls this function again for the next hop, which is checked again.
 */
export function createGuardedFetch(options: GuardedFetchOptions): FetchLike {
  return async (input, init = {}) => {
    const url = new URL(input);
    const body = await bodyBytes(init.body);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    if (body) headers['content-length'] = String(body.length);
    return new Promise<Response>((resolve, reject) => {
      // Throws (and so rejects) before connecting when the SSRF guard refuses the target.
      const request = openGuardedRequest(url, {
        allow: options.allow,
        resolver: options.resolver,
        method: init.method ?? 'GET',
        headers,
        ...(init.signal ? { signal: init.signal } : {}),
      });
      request.on('error', reject);
      request.on('response', (response) => {
        const status = response.statusCode ?? 0;
        const responseInit = {
          status,
          statusText: response.statusMessage ?? '',
          headers: toHeaders(response),
        };
        try {
          if (nullBodyStatuses.has(status)) {
            response.resume();
            resolve(new Response(null, responseInit));
          } else {
            resolve(new Response(Readable.toWeb(response) as ReadableStream<Uint8Array>, responseInit));
          }
        } catch (error: unknown) {
          // `Response` refuses statuses outside 200–599.
          response.destroy();
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      request.end(body);
    });
  };
}
