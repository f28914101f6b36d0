import { defineTool } from '@autonoma/core';
import type { ToolContext } from '@autonoma/core';
import { z } from 'zod';
import type { Allowlist } from '../net/allowlist.ts';
import type { SsrfBlockedError } from '../net/guarded-lookup.ts';
import type { GuardedResponse } from '../net/guarded-request.ts';
import { guardedRequest } from '../net/guarded-request.ts';
import type { BuiltinToolOptions } from './options.ts';
import { writeAudit } from './options.ts';
import { strictInput, textField } from './schema.ts';

const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const input = strictInput({
  method: z.enum(methods, { error: `method must be one of ${methods.join(', ')}` }),
  url: textField('url', 8192),
  headers: z
    .record(z.string(), z.string({ error: 'headers values must be strings' }), {
      error: 'headers must be an object of strings',
    })
    .optional(),
  body: z.string({ error: 'body must be a string' }).optional(),
});

// Headers the transport owns; a caller's value would only confuse framing.
const transportHeaders = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'idempotency-key',
]);

/** Builds the audit callback for a refused destination. */
export function auditRefusal(options: BuiltinToolOptions, tool: string, context: ToolContext) {
  return (refusal: SsrfBlockedError) =>
    writeAudit(
      options,
      'tool.ssrf_blocked',
      { tool, host: refusal.host, address: refusal.address, reason: refusal.reason },
      context,
    );
}

/**
 * `http_request {method, url, headers?, body?}` → `{status, headers, body, truncated, url}` through the SSRF
 * guard. Non-GET/HEAD requests carry `Idempotency-Key: <callId>`, which is why the tool is idempotent.
 */
export function createHttpRequestTool(options: BuiltinToolOptions, allow: Allowlist) {
  const timeoutMs = options.http?.timeoutMs ?? 15_000;
  return defineTool({
    name: 'http_request',
    description:
      'Send an HTTP(S) request to a public address. Private, loopback and metadata addresses are refused.',
    input,
    idempotent: true,
    risk: 'medium',
    timeoutMs: timeoutMs + 5000,
    async execute(request, context): Promise<Omit<GuardedResponse, 'redirects'>> {
      const headers: Record<string, string> = { 'user-agent': 'autonoma' };
      for (const [name, value] of Object.entries(request.headers ?? {})) {
        if (!transportHeaders.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') headers['idempotency-key'] = context.callId;
      const response = await guardedRequest({
        method: request.method,
        url: request.url,
        headers,
        body: request.body,
        allow,
        resolver: options.resolver,
        timeoutMs,
        maxResponseBytes: options.http?.maxResponseBytes,
        maxRedirects: options.http?.maxRedirects,
        signal: context.signal,
        onBlocked: auditRefusal(options, 'http_request', context),
      });
      return {
        status: response.status,
        headers: response.headers,
        body: response.body,
        truncated: response.truncated,
        url: response.url,
      };
    },
  });
}
