import type { McpServerConfig } from '@autonoma/core';
import { describeError } from '@autonoma/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { McpTransport, TransportSettings } from './create-transport.ts';
import { createTransport } from './create-transport.ts';
import { ProcessTransport } from './stdio-transport.ts';

/** Where MCP connections report what operators should know. Shaped like pino's methods. */
export interface McpLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** What every session of every server shares. */
export interface SessionSettings extends TransportSettings {
  clientName: string;
  version: string;
  /** Deadline for starting a server: spawn or connect, `initialize` and listing its tools. */
  startTimeoutMs: number;
  logger?: McpLogger | undefined;
}

/** One live connection to a server. */
export interface McpSession {
  client: Client;
  transport: McpTransport;
  /** Aborted when the transport goes away (the process exited, an HTTP stream broke). */
  lost: AbortSignal;
  /** Why the transport went away, as far as it knows ("exited with code 1"). */
  lostReason(): string;
  /** The last line a stdio server wrote to stderr (for logs, never for the brain). */
  stderr(): string;
  /** Ends the session on purpose: what the transport reports while closing is not a loss. */
  close(): Promise<void>;
}

/** A server that did not start; the message is one line saying why. */
export class SessionStartError extends Error {
  readonly stderr: string;
  constructor(message: string, stderr: string) {
    super(message);
    this.name = 'SessionStartError';
    this.stderr = stderr;
  }
}

/** True for the SDK's "connection closed" rejection of pending requests. */
export const isConnectionClosed = (error: unknown): boolean =>
  error instanceof McpError && error.code === ErrorCode.ConnectionClosed;

function exitOf(transport: McpTransport): string | undefined {
  const exit = transport instanceof ProcessTransport ? transport.exit : undefined;
  if (!exit) return undefined;
  return exit.signal ? `exited on ${exit.signal}` : `exited with code ${String(exit.code)}`;
}

function startFailure(error: unknown, transport: McpTransport, startTimeoutMs: number): string {
  const exit = exitOf(transport);
  if (exit && isConnectionClosed(error)) return `${exit} before it finished starting`;
  if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
    return `no answer within ${startTimeoutMs} ms`;
  }
  return describeError(error);
}

async function listTools(client: Client, timeout: number): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return tools;
}

/**
 * Starts a server (spawn or connect), runs `initialize` and lists its tools, all within
 * `startTimeoutMs`. `onLost` is told once if the transport goes away afterwards. On failure the
 * transport is closed (a half-started process is killed) and a {@link SessionStartError} says why.
 */
export async function openSession(
  config: McpServerConfig,
  settings: SessionSettings,
  onLost: (session: McpSession) => void,
): Promise<{ session: McpSession; tools: Tool[] }> {
  const transport = createTransport(config, settings);
  const client = new Client({ name: settings.clientName, version: settings.version });
  const lost = new AbortController();
  const stderr = () => (transport instanceof ProcessTransport ? transport.lastStderrLine.slice(0, 500) : '');
  let started = false;
  let closing = false;
  const session: McpSession = {
    client,
    transport,
    lost: lost.signal,
    lostReason: () => exitOf(transport) ?? 'closed the connection',
    stderr,
    close: async () => {
      closing = true;
      lost.abort();
      await transport.close().catch(() => undefined);
    },
  };
  const markLost = (): void => {
    // Before the start completes, a failure is the start's failure, reported below.
    if (!started || closing || lost.signal.aborted) return;
    lost.abort();
    onLost(session);
  };
  client.onclose = markLost;
  client.onerror = (error) => {
    if (closing) return;
    settings.logger?.warn({ server: config.name, error: describeError(error) }, 'mcp transport error');
    // A stdio server that logs to stdout is not fatal (a process that dies closes the transport). An
    // HTTP transport error means a stream a call may wait on is gone, which the SDK leaves to the timeout.
    if (!(transport instanceof ProcessTransport)) markLost();
  };
  try {
    await client.connect(transport, { timeout: settings.startTimeoutMs });
    const tools = await listTools(client, settings.startTimeoutMs);
    started = true;
    return { session, tools };
  } catch (error: unknown) {
    lost.abort();
    await transport.close().catch(() => undefined);
    throw new SessionStartError(startFailure(error, transport, settings.startTimeoutMs), stderr());
  }
}
