import { afterEach, describe, expect, it } from 'vitest';
import type { ToolContext } from '@autonoma/core';
import type { ResolvedAddress } from '../../src/tools/net/index.ts';
import { startServer } from './loopback-server.ts';
import { builtin, callTool, makeContext, toolFailure } from './tool-harness.ts';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function server(...args: Parameters<typeof startServer>) {
  const started = await startServer(...args);
  closers.push(started.close);
  return started;
}

const context = makeContext('/tmp');

describe('http_request', () => {
  it('refuses loopback by default, naming the address, and audits the refusal', async () => {
    const target = await server((_request, response) => response.end('should not be reached'));
    const audits: Array<[string, Record<string, unknown>]> = [];
    const tool = builtin('http_request', {
      audit: async (action, detail) => {
        audits.push([action, detail]);
      },
    });
    for (const host of ['127.0.0.1', '2130706433', '0x7f.1', '[::ffff:127.0.0.1]', 'localhost']) {
      const failure = await toolFailure(
        tool,
        { method: 'GET', url: `http://${host}:${target.port}/` },
        context,
      );
      expect(failure.code, host).toBe('ssrf_blocked');
      expect(failure.message, host).toMatch(/127\.0\.0\.1|::1/);
    }
    expect(target.seen).toHaveLength(0);
    expect(audits[0]).toEqual([
      'tool.ssrf_blocked',
      expect.objectContaining({ tool: 'http_request', address: '127.0.0.1' }),
    ]);
  });

  it('refuses metadata and non-http schemes', async () => {
    const tool = builtin('http_request');
    expect(
      (await toolFailure(tool, { method: 'GET', url: 'http://169.254.169.254/latest/' }, context)).message,
    ).toContain('169.254.169.254');
    expect((await toolFailure(tool, { method: 'GET', url: 'http://[fd00:ec2::254]/' }, context)).code).toBe(
      'ssrf_blocked',
    );
    expect((await toolFailure(tool, { method: 'GET', url: 'file:///etc/passwd' }, context)).code).toBe(
      'unsupported_scheme',
    );
  });

  it('sends Idempotency-Key on POST but not on GET, and returns status, headers and body', async () => {
    const target = await server((request, response) => {
      response.setHeader('x-echo', request.method);
      response.end(`got ${request.body}`);
    });
    const tool = builtin('http_request', { httpAllow: ['127.0.0.0/8'] });
    const url = `http://127.0.0.1:${target.port}/things`;
    const posted = await callTool(
      tool,
      { method: 'POST', url, body: 'payload', headers: { 'X-Custom': 'yes' } },
      context,
    );
    expect(posted).toMatchObject({
      status: 200,
      body: 'got payload',
      truncated: false,
      headers: { 'x-echo': 'POST' },
    });
    await callTool(tool, { method: 'GET', url }, context);
    expect(target.seen[0]?.headers['idempotency-key']).toBe(context.callId);
    expect(target.seen[0]?.headers['x-custom']).toBe('yes');
    expect(target.seen[1]?.headers['idempotency-key']).toBeUndefined();
  });

  it('cuts the response at the size cap and flags it', async () => {
    const target = await server((_request, response) => response.end('y'.repeat(50_000)));
    const tool = builtin('http_request', { httpAllow: ['127.0.0.1'], http: { maxResponseBytes: 1000 } });
    const result = await callTool(tool, { method: 'GET', url: `http://127.0.0.1:${target.port}/` }, context);
    expect(result).toMatchObject({ truncated: true, body: 'y'.repeat(1000) });
  });

  it('times out a server that never answers', async () => {
    const target = await server(() => undefined);
    const tool = builtin('http_request', { httpAllow: ['127.0.0.1'], http: { timeoutMs: 200 } });
    const failure = await toolFailure(
      tool,
      { method: 'GET', url: `http://127.0.0.1:${target.port}/` },
      context,
    );
    expect(failure.code).toBe('timeout');
  });

  it('re-checks every redirect hop: an allowlisted server cannot bounce the call to a forbidden address', async () => {
    const forbidden = await server((_request, response) => response.end('internal data'));
    const entry = await server((request, response) => {
      const next =
        request.url === '/meta'
          ? 'http://169.254.169.254/latest/meta-data/'
          : `http://127.0.0.1:${forbidden.port}/`;
      response.writeHead(302, { location: next }).end();
    });
    const tool = builtin('http_request', { httpAllow: [`127.0.0.1:${entry.port}`] });
    for (const path of ['/loop', '/meta']) {
      const failure = await toolFailure(
        tool,
        { method: 'GET', url: `http://127.0.0.1:${entry.port}${path}` },
        context,
      );
      expect(failure.code).toBe('ssrf_blocked');
    }
    expect(forbidden.seen).toHaveLength(0);
  });

  it('follows allowed redirects, turning a 303 into a GET, and stops after five', async () => {
    const target = await server((request, response) => {
      if (request.url === '/start') response.writeHead(303, { location: '/done' }).end();
      else if (request.url === '/done') response.end(`${request.method} done`);
      else response.writeHead(307, { location: '/again' }).end();
    });
    const tool = builtin('http_request', { httpAllow: ['127.0.0.1'] });
    const base = `http://127.0.0.1:${target.port}`;
    expect(await callTool(tool, { method: 'POST', url: `${base}/start`, body: 'x' }, context)).toMatchObject({
      status: 200,
      body: 'GET done',
    });
    expect((await toolFailure(tool, { method: 'GET', url: `${base}/again` }, context)).code).toBe(
      'too_many_redirects',
    );
  });

  it('connects only to the address it checked when DNS answers change (rebinding)', async () => {
    const target = await server((request, response) => {
      if (request.url === '/first') response.writeHead(302, { location: '/second' }).end();
      else response.end('second hop reached');
    });
    const lookups: string[] = [];
    // First answer: the allowlisted loopback address; every later answer: a loopback address nobody opened.
    const resolver = async (host: string): Promise<ResolvedAddress[]> => {
      lookups.push(host);
      return [{ address: lookups.length === 1 ? '127.0.0.1' : '127.0.0.2', family: 4 }];
    };
    const tool = builtin('http_request', { httpAllow: [`127.0.0.1:${target.port}`], resolver });
    const rebinding: ToolContext = context;
    const failure = await toolFailure(
      tool,
      { method: 'GET', url: `http://rebind.test:${target.port}/first` },
      rebinding,
    );
    expect(failure.code).toBe('ssrf_blocked');
    expect(failure.message).toContain('127.0.0.2');
    expect(lookups).toEqual(['rebind.test', 'rebind.test']);
    expect(target.seen.map((request) => request.url)).toEqual(['/first']);
  });

  it('resolves once per connection, so a rebinding resolver cannot swap the address after the check', async () => {
    const target = await server((_request, response) => response.end('ok'));
    let calls = 0;
    const resolver = async (): Promise<ResolvedAddress[]> => {
      calls += 1;
      return [{ address: calls === 1 ? '127.0.0.1' : '10.0.0.1', family: 4 }];
    };
    const tool = builtin('http_request', { httpAllow: [`127.0.0.1:${target.port}`], resolver });
    const result = await callTool(
      tool,
      { method: 'GET', url: `http://rebind.test:${target.port}/` },
      context,
    );
    expect(result).toMatchObject({ status: 200, body: 'ok' });
    expect(calls).toBe(1);
  });
});
