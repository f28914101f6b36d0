import type { ClientRequest } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ToolError } from '@autonoma/core';
import type { Allowlist } from './allowlist.ts';
import { checkAddress } from './address-policy.ts';
import type { Resolver } from './guarded-lookup.ts';
import { SsrfBlockedError, createGuardedLookup } from './guarded-lookup.ts';
import { parseIp } from './ip-address.ts';

/** The port a URL connects to: its own, else 443 for https and 80 for http. */
export const targetPort = (url: URL): number =>
  url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);

/** The host a URL connects to, without the brackets of an IPv6 literal. */
export const targetHost = (url: URL): string => url.hostname.replace(/^\[|\]$/g, '');

/**
 * The SSRF check of a destination before any socket opens: http and https only, and an IP-literal host
 * is judged now, because `node:net` connects to an IP literal without calling `lookup` — the guarded
 * lookup never sees it. A host name is judged later, on every address it resolves to. Throws
 * `unsupported_scheme` or {@link SsrfBlockedError}.
 */
export function checkTarget(url: URL, allow: Allowlist): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ToolError('unsupported_scheme', `only http and https URLs are allowed, not ${url.protocol}`);
  }
  // The WHATWG parser already turned 2130706433, 0177.0.0.1, 0x7f.1 and 127.1 into 127.0.0.1.
  const host = targetHost(url);
  if (parseIp(host)) {
    const verdict = checkAddress(host, { allow, host, port: targetPort(url) });
    if (!verdict.allowed) throw new SsrfBlockedError(host, host, verdict.reason);
  }
}

/** Options for {@link openGuardedRequest}. */
export interface GuardedConnectOptions {
  allow: Allowlist;
  /** @default the system resolver */
  resolver?: Resolver;
  method: string;
  headers: Readonly<Record<string, string>>;
  signal?: AbortSignal;
}

/**
 * Opens an HTTP(S) request that connects only where the SSRF guard allows: {@link checkTarget} first,
 * then host names resolve through {@link createGuardedLookup}, so the socket connects to exactly the
 * address that was checked (no DNS rebinding). No agent, so no pooled socket skips the check. Throws
 * synchronously, before anything connects, when the target is refused; send the body with `end()`.
 */
export function openGuardedRequest(url: URL, options: GuardedConnectOptions): ClientRequest {
  checkTarget(url, options.allow);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return send({
    protocol: url.protocol,
    hostname: targetHost(url),
    port: targetPort(url),
    path: `${url.pathname}${url.search}`,
    method: options.method,
    headers: options.headers,
    lookup: createGuardedLookup({ allow: options.allow, resolver: options.resolver, port: targetPort(url) }),
    agent: false,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
