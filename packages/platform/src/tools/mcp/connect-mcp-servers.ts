import type { AnyTool, McpServerConfig, ToolHost } from '@autonoma/core';
import { userError } from '@autonoma/core';
import { parseAllowlist } from '../net/index.ts';
import type { Resolver } from '../net/index.ts';
import { version } from '../../version.ts';
import { defaultServerPath } from './create-transport.ts';
import type { McpServerStatus } from './mcp-connection.ts';
import type { McpLogger } from './mcp-session.ts';
import { McpConnection } from './mcp-connection.ts';
import type { StdioSandboxOptions } from './stdio-sandbox.ts';
import { chooseStdioSandbox } from './stdio-sandbox.ts';

/**
 * Options for {@link connectMcpServers}. `home`, `workspace`, `allowUnsandboxed` and `bwrapPath` say how
 * stdio servers are confined: in bubblewrap, with the host read-only, Autonoma's home hidden and the
 * run's workspace writable.
 */
export interface ConnectMcpServersOptions extends StdioSandboxOptions {
  /** Destinations opened despite the SSRF guard (`AUTONOMA_HTTP_ALLOW` entries), for HTTP servers. */
  httpAllow: readonly string[];
  /** Resolver for HTTP server host names. @default the system resolver */
  resolver?: Resolver;
  /** The name this client gives servers in `initialize`. @default 'autonoma' */
  clientName?: string;
  logger?: McpLogger;
  /**
   * Deadline for starting each server (spawn or connect, `initialize`, listing tools), separate from the
   * per-call `timeoutMs` because a first `npx` start may download a package. @default 60000
   */
  startTimeoutMs?: number;
  /** Throw an `invalid_config` error naming the first server that failed to start. @default false */
  strict?: boolean;
  /**
   * `PATH` of stdio servers whose `env` does not set one.
   * @default the running Node's directory, then `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`
   */
  path?: string;
}

/** The tools of an agent's MCP servers, behind the `ToolHost` port. */
export interface McpToolHost extends ToolHost {
  /** Ends every session and stops every stdio server's process group. */
  close(): Promise<void>;
  /** One line per configured server, in configuration order. */
  status(): McpServerStatus[];
}

/**
 * Starts every configured MCP server at once and lists their tools as `<server>__<tool>`. A server that
 * cannot start (command not found, exits at once, connection refused or refused by the SSRF guard,
 * `initialize` fails or times out, bubblewrap is unavailable and unconfined servers are not allowed) is
 * reported by `status()` as `failed` with a one-line reason naming it, and the others still serve — unless `strict` is set, in which case every started server is
 * closed and an `invalid_config` error names the first failure.
 */
export async function connectMcpServers(
  configs: readonly McpServerConfig[],
  options: ConnectMcpServersOptions,
): Promise<McpToolHost> {
  const stdio = configs.some((config) => config.transport === 'stdio');
  const settings = {
    allow: parseAllowlist(options.httpAllow),
    sandbox: stdio ? await chooseStdioSandbox(options) : ({ kind: 'none' } as const),
    resolver: options.resolver,
    path: options.path ?? defaultServerPath,
    clientName: options.clientName ?? 'autonoma',
    startTimeoutMs: options.startTimeoutMs ?? 60_000,
    version,
    logger: options.logger,
  };
  const seen = new Set<string>();
  for (const config of configs) {
    if (seen.has(config.name))
      throw userError('invalid_config', `mcp server '${config.name}' is configured twice`);
    seen.add(config.name);
  }
  const connections = configs.map((config) => new McpConnection(config, settings));
  await Promise.all(connections.map((connection) => connection.start()));
  const close = async (): Promise<void> => {
    await Promise.all(connections.map((connection) => connection.close()));
  };
  if (options.strict) {
    const failed = connections
      .map((connection) => connection.status())
      .find((line) => line.state === 'failed');
    if (failed) {
      await close();
      throw userError('invalid_config', failed.error ?? `mcp server '${failed.server}' failed to start`, {
        server: failed.server,
      });
    }
  }
  const tools = new Map<string, AnyTool>();
  for (const connection of connections) {
    for (const tool of connection.tools) if (!tools.has(tool.name)) tools.set(tool.name, tool);
  }
  return {
    list: () => [...tools.values()],
    get: (name) => tools.get(name),
    status: () => connections.map((connection) => connection.status()),
    close,
  };
}
