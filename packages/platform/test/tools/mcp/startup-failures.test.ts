import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { McpServerConfig } from '@autonoma/core';
import { AutonomaError } from '@autonoma/core';
import { describe, expect, it } from 'vitest';
import { callTool, makeContext } from '../tool-harness.ts';
import { connect, fixtureConfig, fixturePath, toolOf } from './mcp-harness.ts';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const missing = fixtureConfig('files', { command: 'nonexistent-cmd', args: [] });
const exitsAtOnce = fixtureConfig('quitter', { args: [fixturePath, '--exit-at-start'] });

describe('MCP servers that cannot start', () => {
  it('reports a missing command as failed, naming the server, and still serves the others', async () => {
    const host = await connect([missing, fixtureConfig('good')]);
    try {
      expect(host.status()).toEqual([
        {
          server: 'files',
          state: 'failed',
          error: "mcp server 'files' failed to start: spawn nonexistent-cmd ENOENT",
          tools: 0,
        },
        { server: 'good', state: 'ready', tools: 12 },
      ]);
      expect(host.list().every((tool) => tool.name.startsWith('good__'))).toBe(true);
      await expect(
        callTool(toolOf(host, 'good__echo'), { text: 'hi' }, makeContext('/tmp')),
      ).resolves.toBeDefined();
    } finally {
      await host.close();
    }
  });

  it('reports a server that exits before initializing with its exit code, logging its stderr', async () => {
    const warnings: { fields: Record<string, unknown>; message: string }[] = [];
    const logger = {
      info: () => undefined,
      warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }),
    };
    const host = await connect([exitsAtOnce], { logger });
    try {
      expect(host.status()).toEqual([
        {
          server: 'quitter',
          state: 'failed',
          error: "mcp server 'quitter' failed to start: exited with code 3 before it finished starting",
          tools: 0,
        },
      ]);
      expect(warnings).toEqual([
        {
          fields: { server: 'quitter', stderr: 'fixture: refusing to start' },
          message: "mcp server 'quitter' failed to start: exited with code 3 before it finished starting",
        },
      ]);
    } finally {
      await host.close();
    }
  });

  it('reports a refused HTTP connection as failed', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/mcp`;
    const config = {
      transport: 'http',
      name: 'remote',
      url,
      headers: {},
      timeoutMs: 5000,
    } as McpServerConfig;
    const host = await connect([config], { httpAllow: ['127.0.0.1'] });
    try {
      const [line] = host.status();
      expect(line).toMatchObject({ server: 'remote', state: 'failed', tools: 0 });
      expect(line?.error).toMatch(/^mcp server 'remote' failed to start: .*ECONNREFUSED/);
    } finally {
      await host.close();
    }
  });

  it('reports an initialize that never finishes as failed at the timeout', async () => {
    // `sleep` reads nothing and answers nothing.
    const host = await connect([fixtureConfig('sleeper', { command: 'sleep', args: ['30'] })], {
      startTimeoutMs: 300,
    });
    try {
      expect(host.status()[0]?.error).toBe("mcp server 'sleeper' failed to start: no answer within 300 ms");
    } finally {
      await host.close();
    }
  });

  it('throws invalid_config naming the server in strict mode', async () => {
    const failure = await connect([fixtureConfig('good'), missing], { strict: true }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(AutonomaError);
    expect(failure).toMatchObject({
      code: 'invalid_config',
      message: "mcp server 'files' failed to start: spawn nonexistent-cmd ENOENT",
      details: { server: 'files' },
    });
  });

  it('refuses two servers with the same name', async () => {
    await expect(connect([fixtureConfig('twin'), fixtureConfig('twin')])).rejects.toMatchObject({
      code: 'invalid_config',
    });
  });
});
