import { dirname } from 'node:path';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { McpServerConfig } from '@autonoma/core';
import { userError } from '@autonoma/core';
import type { Allowlist, Resolver } from '../net/index.ts';
import { sandboxPath } from '../sandbox/bwrap.ts';
import { createGuardedFetch } from './guarded-fetch.ts';
import type { StdioSandbox } from './stdio-sandbox.ts';
import { sandboxedCommand } from './stdio-sandbox.ts';
import { ProcessTransport } from './stdio-transport.ts';

/** What a transport needs besides the server's configuration. */
export interface TransportSettings {
  allow: Allowlist;
  resolver?: Resolver | undefined;
  /** `PATH` for stdio servers, unless their `env` sets one. */
  path: string;
  /** How stdio servers start (in bubblewrap, unconfined, or refused). */
  sandbox: StdioSandbox;
}

/** The transport for one server: a child process, or streamable HTTP through the SSRF guard. */
export type McpTransport = ProcessTransport | StreamableHTTPClientTransport;

/**
 * The default `PATH` of stdio servers: the directory of the Node running the platform (so `node` and
 * `npx` are the platform's own), then the fixed system `PATH` that `shell_exec` uses. The platform's
 * own `PATH` is not read: no environment leaks into a server except what its configuration says.
 */
export const defaultServerPath = `${dirname(process.execPath)}:${sandboxPath}`;

/**
 * Builds the (unstarted) transport for a configuration. Throws, with a one-line reason, for a stdio
 * server that cannot be started as the sandbox settings require.
 */
export function createTransport(config: McpServerConfig, settings: TransportSettings): McpTransport {
  if (config.transport === 'stdio') {
    const env = { PATH: settings.path, ...config.env };
    const { command, args } = sandboxedCommand(settings.sandbox, {
      command: config.command,
      args: config.args,
      env,
    });
    return new ProcessTransport({ command, args, env });
  }
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    throw userError('invalid_config', `mcp server '${config.name}' has an invalid url`);
  }
  return new StreamableHTTPClientTransport(url, {
    fetch: createGuardedFetch({ allow: settings.allow, resolver: settings.resolver }),
    requestInit: { headers: config.headers },
  });
}
