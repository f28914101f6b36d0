import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnyTool, McpServerConfig } from '@autonoma/core';
import type { ConnectMcpServersOptions, McpToolHost } from '../../../src/tools/mcp/index.ts';
import { connectMcpServers } from '../../../src/tools/mcp/index.ts';

/** The stdio fixture server's path. */
export const fixturePath = fileURLToPath(new URL('./fixture-stdio-server.ts', import.meta.url));

/** A stdio configuration that runs the fixture with this Node. */
export function fixtureConfig(name: string, overrides: Partial<McpServerConfig> = {}): McpServerConfig {
  return {
    transport: 'stdio',
    name,
    command: process.execPath,
    args: [fixturePath],
    env: {},
    timeoutMs: 10_000,
    ...overrides,
  } as McpServerConfig;
}

/**
 * Connects, with nothing opened in the SSRF guard unless the options say so. Stdio servers run in
 * bubblewrap where it works (as in production), unconfined where it does not (so these tests run
 * anywhere; the sandbox's own tests say when they need it), with the temporary directory as their
 * workspace and an Autonoma home that does not exist.
 */
export const connect = (
  configs: McpServerConfig[],
  options: Partial<ConnectMcpServersOptions> = {},
): Promise<McpToolHost> =>
  connectMcpServers(configs, {
    httpAllow: [],
    home: join(tmpdir(), 'autonoma-mcp-test-no-home'),
    workspace: tmpdir(),
    allowUnsandboxed: true,
    ...options,
  });

/** The named tool of a host, or a failed test. */
export function toolOf(host: McpToolHost, name: string): AnyTool {
  const tool = host.get(name);
  if (!tool)
    throw new Error(
      `no tool ${name}; the host has ${host
        .list()
        .map((item) => item.name)
        .join(', ')}`,
    );
  return tool;
}

/**
 * Ids of the host's processes whose command line has `tag` as an argument (read from `/proc`, so
 * processes in a sandbox's pid namespace are found by their host ids too).
 */
export function processesTagged(tag: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(tag)) found.push(Number(entry));
    } catch {
      // The process ended while the list was read.
    }
  }
  return found;
}
