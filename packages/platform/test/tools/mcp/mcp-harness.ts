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

/** Connects, with nothing opened in the SSRF guard unless the options say so. */
export const connect = (
  configs: McpServerConfig[],
  options: Partial<ConnectMcpServersOptions> = {},
): Promise<McpToolHost> => connectMcpServers(configs, { httpAllow: [], ...options });

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

/** True while a process with this id exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
