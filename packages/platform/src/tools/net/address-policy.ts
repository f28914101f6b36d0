import type { Allowlist } from './allowlist.ts';
import { allowsAddress, allowsHost, emptyAllowlist } from './allowlist.ts';
import type { IpAddress } from './ip-address.ts';
import { cidrContains, formatIp, lowIpv4, parseCidr, parseIp } from './ip-address.ts';

/** The guard's answer for one address. */
export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/** Options for {@link checkAddress}. */
export interface CheckAddressOptions {
  /** Operator-opened destinations. @default nothing opened */
  allow?: Allowlist;
  /** The host name the address was resolved from, for host allowlist entries. */
  host?: string;
  /** The destination port, for `host:port` entries. */
  port?: number;
}

const table = (rows: ReadonlyArray<readonly [string, string]>) =>
  rows.map(([text, reason]) => {
    const cidr = parseCidr(text);
    if (!cidr) throw new Error(`bad built-in CIDR ${text}`);
    return { cidr, reason };
  });

// Cloud metadata endpoints get their own reason so audits say what was attempted.
const metadata = table([
  ['169.254.169.254', 'cloud metadata'],
  ['169.254.170.2', 'cloud metadata'],
  ['100.100.100.200', 'cloud metadata'],
  ['192.0.0.192', 'cloud metadata'],
  ['fd00:ec2::254', 'cloud metadata'],
]);

const blockedV4 = table([
  ['0.0.0.0/8', 'this-network (0.0.0.0/8)'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'carrier-grade NAT'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', '6to4 relay anycast'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
]);

const blockedV6 = table([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b:1::/48', 'local-use NAT64'],
  ['100::/64', 'discard-only'],
  ['2001:db8::/32', 'documentation'],
  ['2001::/23', 'IETF protocol assignments (Teredo and others)'],
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
]);

// IPv6 ranges that carry an IPv4 address; the embedded address is judged as IPv4.
const mapped = parseCidr('::ffff:0:0/96');
const nat64 = parseCidr('64:ff9b::/96');
const sixToFour = parseCidr('2002::/16');
const compatible = parseCidr('::/96');
const globalUnicast = parseCidr('2000::/3');

const find = (rows: ReturnType<typeof table>, address: IpAddress) =>
  rows.find((row) => cidrContains(row.cidr, address))?.reason;

function classify(address: IpAddress): string | undefined {
  const special = find(metadata, address);
  if (special) return special;
  if (address.family === 4) return find(blockedV4, address);
  const embedded = (label: string, v4: IpAddress): string | undefined => {
    const reason = classify(v4);
    return reason === undefined ? undefined : `${label} ${formatIp(v4)}: ${reason}`;
  };
  if (mapped && cidrContains(mapped, address)) return embedded('IPv4-mapped', lowIpv4(address));
  if (nat64 && cidrContains(nat64, address)) return embedded('NAT64 of', lowIpv4(address));
  if (sixToFour && cidrContains(sixToFour, address)) {
    return embedded('6to4 of', { family: 4, value: (address.value >> 80n) & 0xffffffffn });
  }
  const reason = find(blockedV6, address);
  if (reason) return reason;
  if (compatible && cidrContains(compatible, address)) return 'IPv4-compatible (deprecated)';
  if (globalUnicast && !cidrContains(globalUnicast, address)) return 'reserved';
  return undefined;
}

/**
 * Judges one resolved address: refuses loopback, private, link-local, unique-local, carrier-grade NAT,
 * multicast, broadcast, reserved and documentation ranges, cloud metadata endpoints, and IPv6 forms that
 * embed a refused IPv4 address (IPv4-mapped, NAT64, 6to4) — unless the operator allowlist opens the
 * address or the host name. A string that is not an IP address is refused.
 */
export function checkAddress(address: string, options: CheckAddressOptions = {}): AddressVerdict {
  const allow = options.allow ?? emptyAllowlist;
  const parsed = parseIp(address);
  if (!parsed) return { allowed: false, reason: 'not an IP address' };
  if (options.host !== undefined && allowsHost(allow, options.host, options.port)) return { allowed: true };
  if (allowsAddress(allow, parsed, options.port)) return { allowed: true };
  const reason = classify(parsed);
  return reason === undefined ? { allowed: true } : { allowed: false, reason };
}
