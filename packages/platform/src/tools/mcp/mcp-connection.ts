import type { AnyTool, McpServerConfig, ToolContext } from '@autonoma/core';
import { ToolError, describeError } from '@autonoma/core';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { McpToolOutput, OutputValidator } from './call-result.ts';
import { outputValidator, toToolOutput } from './call-result.ts';
import { createMcpTools } from './mcp-tools.ts';
import type { McpSession, SessionSettings } from './mcp-session.ts';
import { SessionStartError, isConnectionClosed, openSession } from './mcp-session.ts';

/** How one server is doing, as `McpToolHost.status()` reports it. */
export interface McpServerStatus {
  server: string;
  state: 'ready' | 'failed';
  /** A one-line reason naming the server, when failed. */
  error?: string;
  tools: number;
}

/**
 * One MCP server: its session, its tools, and the reconnect rule. After a crash the next call restarts
 * the server once; if that fails, the server stays failed until the host is rebuilt.
 */
export class McpConnection {
  readonly config: McpServerConfig;
  readonly #settings: SessionSettings;
  #session: McpSession | undefined;
  #reconnecting: Promise<McpSession> | undefined;
  #mayReconnect = false;
  #closing = false;
  #error: string | undefined;
  #tools: AnyTool[] = [];
  readonly #validators = new Map<string, OutputValidator>();

  constructor(config: McpServerConfig, settings: SessionSettings) {
    this.config = config;
    this.#settings = settings;
  }

  /** The server's tools as platform tools (none when it failed to start). */
  get tools(): readonly AnyTool[] {
    return this.#tools;
  }

  /** Starts the server and lists its tools. Never throws: a failure is recorded in {@link status}. */
  async start(): Promise<void> {
    try {
      const { session, tools } = await this.#open('start');
      this.#session = session;
      for (const tool of tools) {
        const validate = outputValidator(tool.outputSchema);
        if (validate) this.#validators.set(tool.name, validate);
      }
      this.#tools = createMcpTools({
        server: this.config.name,
        tools,
        timeoutMs: this.config.timeoutMs,
        call: (name, input, context) => this.call(name, input, context),
      });
      this.#settings.logger?.info({ server: this.config.name, tools: tools.length }, 'mcp server ready');
    } catch {
      // #open recorded and logged the reason.
    }
  }

  /** This server's line in `McpToolHost.status()`. */
  status(): McpServerStatus {
    const ready = this.#session !== undefined && !this.#session.lost.aborted;
    return {
      server: this.config.name,
      state: ready ? 'ready' : 'failed',
      ...(ready || this.#error === undefined ? {} : { error: this.#error }),
      tools: this.#tools.length,
    };
  }

  /** Calls a tool: bounded by `timeoutMs` and the run's signal, and failing fast when the server dies. */
  async call(toolName: string, input: unknown, context: ToolContext): Promise<McpToolOutput> {
    const label = `mcp tool '${toolName}' of server '${this.config.name}'`;
    const session = await untilAborted(
      this.#live(),
      context.signal,
      () => new ToolError('cancelled', `${label} was cancelled while the server restarted`),
    );
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.config.timeoutMs);
    const signal = AbortSignal.any([context.signal, session.lost, deadline.signal]);
    try {
      const raw = await session.client.request(
        { method: 'tools/call', params: { name: toolName, arguments: input as Record<string, unknown> } },
        z.unknown(),
        // The SDK's own timer is a backstop; ours decides, so the error code is ours.
        { signal, timeout: this.config.timeoutMs + 1000 },
      );
      return toToolOutput(raw, label, this.#validators.get(toolName));
    } catch (error: unknown) {
      if (error instanceof ToolError) throw error;
      if (this.#closing) throw new ToolError('mcp_server_unavailable', `${label}: the server was closed`);
      if (session.lost.aborted || isConnectionClosed(error)) {
        throw new ToolError(
          'mcp_server_crashed',
          `${label}: the server ${session.lostReason()} during the call`,
        );
      }
      if (context.signal.aborted) throw new ToolError('cancelled', `${label} was cancelled`);
      if (deadline.signal.aborted || (error instanceof McpError && error.code === ErrorCode.RequestTimeout)) {
        throw new ToolError('mcp_timeout', `${label} did not answer within ${this.config.timeoutMs} ms`);
      }
      throw new ToolError('mcp_request_failed', `${label} failed: ${describeError(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the session (and a stdio server's whole process group). */
  async close(): Promise<void> {
    this.#closing = true;
    this.#error = `mcp server '${this.config.name}' is closed`;
    const restarted = await this.#reconnecting?.catch(() => undefined);
    await (restarted ?? this.#session)?.close();
  }

  async #live(): Promise<McpSession> {
    const session = this.#session;
    if (session && !session.lost.aborted) return session;
    // Calls that arrive while a restart runs wait for that restart.
    if (this.#reconnecting) return this.#reconnecting;
    if (this.#closing || !this.#mayReconnect) {
      throw new ToolError(
        'mcp_server_unavailable',
        this.#error ?? `mcp server '${this.config.name}' is closed`,
      );
    }
    this.#mayReconnect = false;
    this.#reconnecting = this.#open('restart').then(
      ({ session: restarted }) => {
        this.#session = restarted;
        if (!this.#closing) this.#error = undefined;
        this.#reconnecting = undefined;
        return restarted;
      },
      (error: unknown) => {
        this.#reconnecting = undefined;
        throw new ToolError('mcp_server_unavailable', describeError(error));
      },
    );
    return this.#reconnecting;
  }

  async #open(phase: 'start' | 'restart'): Promise<Awaited<ReturnType<typeof openSession>>> {
    const { name } = this.config;
    try {
      return await openSession(this.config, this.#settings, (session) => {
        if (this.#closing) return;
        this.#mayReconnect = true;
        this.#error = `mcp server '${name}' ${session.lostReason()}; the next call restarts it`;
        this.#settings.logger?.warn({ server: name, stderr: session.stderr() }, this.#error);
      });
    } catch (error: unknown) {
      this.#error = `mcp server '${name}' failed to ${phase}: ${describeError(error)}`;
      const stderr = error instanceof SessionStartError ? error.stderr : '';
      this.#settings.logger?.warn({ server: name, stderr }, this.#error);
      throw new Error(this.#error, { cause: error });
    }
  }
}

/** Settles like `promise`, or rejects with `reason()` as soon as `signal` aborts (the promise runs on). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, reason: () => Error): Promise<T> {
  if (signal.aborted) return Promise.reject(reason());
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(reason());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
