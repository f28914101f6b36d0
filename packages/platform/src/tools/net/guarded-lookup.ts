import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { ToolError } from '@autonoma/core';
import type { Allowlist } from './allowlist.ts';
import { checkAddress } from './address-policy.ts';

/** One answer of a resolver. */
export interface ResolvedAddress {
  address: string;
  /** 4 or 6. */
  family: number;
}

/** Resolves a host name to every address it has. Injectable so tests can simulate DNS rebinding. */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

/** The system resolver: `dns.lookup` with `all: true`. */
export const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

/** A destination the SSRF guard refused. A {@link ToolError} with code `ssrf_blocked`. */
export class SsrfBlockedError extends ToolError {
  readonly host: string;
  readonly address: string;
  readonly reason: string;
  constructor(host: string, address: string, reason: string) {
    const target = host === address ? address : `${host} (${address})`;
    super(
      'ssrf_blocked',
      `refused to connect to ${target}: ${reason} address; an operator can open it with AUTONOMA_HTTP_ALLOW`,
    );
    this.name = 'SsrfBlockedError';
    this.host = host;
    this.address = address;
    this.reason = reason;
  }
}

/** Options for {@link createGuardedLookup}. */
export interface GuardedLookupOptions {
  allow: Allowlist;
  /** @default {@link systemResolver} */
  resolver?: Resolver;
  /** The destination port, for `host:port` allowlist entries. */
  port?: number;
}

/**
 * A `lookup` for `node:http`/`node:https`/`node:net` that resolves through the resolver, judges every
 * answer with {@link checkAddress} and hands the socket only allowed addresses. Because the socket
 * connects to what this function returns, a DNS answer that changes between a check and the connect
 * (rebinding) cannot slip through. Fails with {@link SsrfBlockedError} when no answer is allowed.
 */
export function createGuardedLookup(options: GuardedLookupOptions): LookupFunction {
  const resolver = options.resolver ?? systemResolver;
  return (hostname, lookupOptions, callback) => {
    const resolveAllowed = async (): Promise<LookupAddress[]> => {
      const wanted = lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : 0;
      const answers = (await resolver(hostname)).filter((answer) => wanted === 0 || answer.family === wanted);
      if (answers.length === 0) {
        throw new ToolError('dns_not_found', `host ${hostname} did not resolve to any address`);
      }
      const allowed: LookupAddress[] = [];
      let refusal: SsrfBlockedError | undefined;
      for (const answer of answers) {
        const verdict = checkAddress(answer.address, {
          allow: options.allow,
          host: hostname,
          port: options.port,
        });
        if (verdict.allowed) allowed.push({ address: answer.address, family: answer.family });
        else refusal ??= new SsrfBlockedError(hostname, answer.address, verdict.reason);
      }
      if (allowed.length === 0 && refusal) throw refusal;
      return allowed;
    };
    resolveAllowed().then(
      (allowed) => {
        const [first] = allowed;
        if (lookupOptions.all) callback(null, allowed);
        else if (first) callback(null, first.address, first.family);
      },
      (error: unknown) => {
        const failure =
          error instanceof Error ? error : new ToolError('dns_failed', `could not resolve ${hostname}`);
        callback(failure as NodeJS.ErrnoException, '');
      },
    );
  };
}
