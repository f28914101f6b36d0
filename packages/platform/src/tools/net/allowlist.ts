import { userError } from '@autonoma/core';
import type { Cidr, IpAddress } from './ip-address.ts';
import { cidrContains, lowIpv4, parseCidr } from './ip-address.ts';

/** One destination an operator opened despite the SSRF guard. */
export type AllowEntry =
  | { kind: 'host'; host: string; port: number | undefined }
  | { kind: 'network'; cidr: Cidr; port: number | undefined };

/** Destinations the SSRF guard lets through: host names, `host:port`s and CIDR networks. */
export interface Allowlist {
  readonly entries: readonly AllowEntry[];
}

const hostPattern = /^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;

/** Lowercases a host name and drops a trailing dot, so `Example.COM.` matches `example.com`. */
export const normalizeHost = (host: string): string => host.toLowerCase().replace(/\.$/, '');

function parsePort(text: string, entry: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65_535) {
    throw userError('invalid_config', `AUTONOMA_HTTP_ALLOW entry '${entry}' has an invalid port`);
  }
  return port;
}

function parseEntry(entry: string): AllowEntry {
  let target = entry;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) {
    target = bracketed[1] ?? '';
    if (bracketed[2] !== undefined) port = parsePort(bracketed[2], entry);
  } else if (!parseCidr(entry)) {
    const withPort = /^([^:]+):([^:]*)$/.exec(entry);
    if (withPort) {
      target = withPort[1] ?? '';
      port = parsePort(withPort[2] ?? '', entry);
    }
  }
  const cidr = parseCidr(target);
  if (cidr) return { kind: 'network', cidr, port };
  const host = normalizeHost(target);
  if (!hostPattern.test(host)) {
    throw userError(
      'invalid_config',
      `AUTONOMA_HTTP_ALLOW entry '${entry}' is not a host, host:port or CIDR`,
    );
  }
  return { kind: 'host', host, port };
}

/**
 * Parses operator allowlist entries (`AUTONOMA_HTTP_ALLOW`): `example.internal`, `*.corp.example`,
 * `example.internal:8443`, `127.0.0.0/8`, `10.1.2.3:5432`, `[::1]:8080`, `fd00::/8`. A string is split
 * on commas. Throws an `invalid_config` error naming a malformed entry.
 */
export function parseAllowlist(entries: readonly string[] | string): Allowlist {
  const list = typeof entries === 'string' ? entries.split(',') : entries;
  const parsed = list
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map(parseEntry);
  return Object.freeze({ entries: Object.freeze(parsed) });
}

const portMatches = (entry: AllowEntry, port: number | undefined): boolean =>
  entry.port === undefined || entry.port === port;

/** True when the operator opened this host name (at this port). */
export function allowsHost(list: Allowlist, host: string, port?: number): boolean {
  const name = normalizeHost(host);
  return list.entries.some((entry) => {
    if (entry.kind !== 'host' || !portMatches(entry, port)) return false;
    if (entry.host.startsWith('*.')) return name.endsWith(entry.host.slice(1));
    return entry.host === name;
  });
}

/** True when the operator opened this address (at this port). IPv4-mapped IPv6 matches IPv4 networks. */
export function allowsAddress(list: Allowlist, address: IpAddress, port?: number): boolean {
  const mapped = address.family === 6 && address.value >> 32n === 0xffffn ? lowIpv4(address) : undefined;
  return list.entries.some(
    (entry) =>
      entry.kind === 'network' &&
      portMatches(entry, port) &&
      (cidrContains(entry.cidr, address) || (mapped !== undefined && cidrContains(entry.cidr, mapped))),
  );
}

/** A list that opens nothing. */
export const emptyAllowlist: Allowlist = parseAllowlist([]);
