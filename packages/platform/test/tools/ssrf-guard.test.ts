import { describe, expect, it } from 'vitest';
import type { ResolvedAddress } from '../../src/tools/net/index.ts';
import {
  checkAddress,
  createGuardedLookup,
  parseAllowlist,
  SsrfBlockedError,
} from '../../src/tools/net/index.ts';

/** The host the WHATWG URL parser sees, without IPv6 brackets. */
const hostOf = (spelling: string) => new URL(`http://${spelling}/`).hostname.replace(/^\[|\]$/g, '');

describe('checkAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['2130706433', 'loopback'],
    ['0177.0.0.1', 'loopback'],
    ['0x7f.1', 'loopback'],
    ['127.1', 'loopback'],
    ['0x7f000001', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['169.254.169.254', 'cloud metadata'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'this-network'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['[::1]', 'loopback'],
    ['[::]', 'unspecified'],
    ['[fe80::1]', 'link-local'],
    ['[fc00::1]', 'unique-local'],
    ['[fd12:3456::1]', 'unique-local'],
    ['[fd00:ec2::254]', 'cloud metadata'],
    ['[ff02::1]', 'multicast'],
    ['[::ffff:127.0.0.1]', 'IPv4-mapped 127.0.0.1: loopback'],
    ['[::ffff:7f00:1]', 'IPv4-mapped 127.0.0.1: loopback'],
    ['[0:0:0:0:0:ffff:169.254.169.254]', 'IPv4-mapped 169.254.169.254: cloud metadata'],
    ['[64:ff9b::10.0.0.1]', 'NAT64 of 10.0.0.1: private'],
    ['[64:ff9b::7f00:1]', 'NAT64 of 127.0.0.1: loopback'],
    ['[2002:7f00:1::]', '6to4 of 127.0.0.1: loopback'],
    ['[::127.0.0.1]', 'IPv4-compatible'],
  ])('refuses %s (%s)', (spelling, reason) => {
    const verdict = checkAddress(hostOf(spelling));
    expect(verdict.allowed).toBe(false);
    if (!verdict.allowed) expect(verdict.reason).toContain(reason);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '172.32.0.1',
    '[2606:4700::1111]',
    '[64:ff9b::808:808]',
    '[::ffff:8.8.8.8]',
  ])('allows the public address %s', (spelling) => {
    expect(checkAddress(hostOf(spelling))).toEqual({ allowed: true });
  });

  it('refuses things that are not addresses', () => {
    expect(checkAddress('localhost').allowed).toBe(false);
  });

  it('lets the operator allowlist open networks, host:port pairs and host names', () => {
    const allow = parseAllowlist('127.0.0.0/8, 10.0.0.5:8443, internal.example, *.corp.example, [::1]:9000');
    expect(checkAddress('127.0.0.9', { allow }).allowed).toBe(true);
    expect(checkAddress('::ffff:127.0.0.9', { allow }).allowed).toBe(true);
    expect(checkAddress('10.0.0.5', { allow, port: 8443 }).allowed).toBe(true);
    expect(checkAddress('10.0.0.5', { allow, port: 80 }).allowed).toBe(false);
    expect(checkAddress('192.168.0.2', { allow, host: 'Internal.Example.' }).allowed).toBe(true);
    expect(checkAddress('192.168.0.2', { allow, host: 'db.corp.example' }).allowed).toBe(true);
    expect(checkAddress('192.168.0.2', { allow, host: 'corp.example.evil' }).allowed).toBe(false);
    expect(checkAddress('::1', { allow, port: 9000 }).allowed).toBe(true);
    expect(checkAddress('::1', { allow, port: 9001 }).allowed).toBe(false);
    expect(checkAddress('169.254.169.254', { allow }).allowed).toBe(false);
  });

  it('rejects malformed allowlist entries with a message naming the entry', () => {
    expect(() => parseAllowlist(['10.0.0.0/33'])).toThrow(/10\.0\.0\.0\/33/);
    expect(() => parseAllowlist(['host:99999'])).toThrow(/host:99999/);
  });
});

/** Calls a guarded lookup the way `net.connect` does with `all: true`. */
function lookupAll(resolver: (host: string) => Promise<ResolvedAddress[]>, allow = parseAllowlist([])) {
  const lookup = createGuardedLookup({ allow, resolver });
  return new Promise<unknown>((resolve, reject) => {
    lookup('service.test', { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });
}

describe('createGuardedLookup', () => {
  it('refuses a name that resolves only to forbidden addresses, naming the address', async () => {
    const failure = lookupAll(async () => [{ address: '10.0.0.7', family: 4 }]);
    await expect(failure).rejects.toBeInstanceOf(SsrfBlockedError);
    await expect(failure).rejects.toThrow(/10\.0\.0\.7/);
  });

  it('hands the socket only the allowed answers', async () => {
    const answers = await lookupAll(async () => [
      { address: '127.0.0.1', family: 4 },
      { address: '93.184.215.14', family: 4 },
      { address: 'fd00::1', family: 6 },
    ]);
    expect(answers).toEqual([{ address: '93.184.215.14', family: 4 }]);
  });
});
