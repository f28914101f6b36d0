import type { McpServerConfig } from '@autonoma/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool, makeContext, toolFailure } from '../tool-harness.ts';
import type { HttpFixture } from './fixture-http-server.ts';
import { startHttpFixture } from './fixture-http-server.ts';
import { connect, toolOf } from './mcp-harness.ts';

const httpConfig = (url: string, headers: Record<string, string> = {}): McpServerConfig => ({
  transport: 'http',
  name: 'remote',
  url,
  headers,
  timeoutMs: 5000,
});

describe('a streamable HTTP MCP server', () => {
  let fixture: HttpFixture;

  beforeAll(async () => {
    fixture = await startHttpFixture();
  });
  afterAll(async () => {
    await fixture.close();
  });

  it('serves its tools when the operator allowlisted its address, sending the configured headers', async () => {
    const host = await connect([httpConfig(fixture.url, { Authorization: 'Bearer mcp-token' })], {
      httpAllow: ['127.0.0.1'],
    });
    try {
      expect(host.status()).toEqual([{ server: 'remote', state: 'ready', tools: 2 }]);
      expect(toolOf(host, 'remote__echo')).toMatchObject({ risk: 'low', idempotent: false });
      await expect(
        callTool(toolOf(host, 'remote__echo'), { text: 'over http' }, makeContext('/tmp')),
      ).resolves.toEqual({ content: [{ type: 'text', text: 'over http' }] });
      expect(host.status()[0]?.state).toBe('ready');
      expect(fixture.authorizations.length).toBeGreaterThan(0);
      expect(fixture.authorizations.every((value) => value === 'Bearer mcp-token')).toBe(true);
    } finally {
      await host.close();
    }
  });

  it('fails a call whose connection drops with mcp_server_crashed, and reconnects for the next', async () => {
    const host = await connect([{ ...httpConfig(fixture.url), timeoutMs: 60_000 }], {
      httpAllow: ['127.0.0.1'],
    });
    try {
      expect((await toolFailure(toolOf(host, 'remote__drop'), {}, makeContext('/tmp'))).code).toBe(
        'mcp_server_crashed',
      );
      await expect(
        callTool(toolOf(host, 'remote__echo'), { text: 'again' }, makeContext('/tmp')),
      ).resolves.toBeDefined();
    } finally {
      await host.close();
    }
  });

  it('is refused by the SSRF guard without the allowlist', async () => {
    const before = fixture.authorizations.length;
    const host = await connect([httpConfig(fixture.url)]);
    try {
      const [line] = host.status();
      expect(line).toMatchObject({ server: 'remote', state: 'failed', tools: 0 });
      expect(line?.error).toContain("mcp server 'remote' failed to start");
      expect(line?.error).toContain('refused to connect to 127.0.0.1: loopback address');
      expect(fixture.authorizations.length).toBe(before);
    } finally {
      await host.close();
    }
  });

  it('checks the address a host name resolves to, not the name', async () => {
    const port = new URL(fixture.url).port;
    const before = fixture.authorizations.length;
    const resolver = () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
    const host = await connect([httpConfig(`http://mcp.example.com:${port}/mcp`)], { resolver });
    try {
      expect(host.status()[0]?.error).toContain('refused to connect to mcp.example.com (127.0.0.1)');
      expect(fixture.authorizations.length).toBe(before);
    } finally {
      await host.close();
    }
  });
});
