import type { ToolContext } from '@autonoma/core';
import type { Resolver } from '../net/guarded-lookup.ts';
import type { JavaScriptLimits } from '../sandbox/quickjs-runner.ts';
import type { SearchProvider } from './search-provider.ts';

/** A model the `llm_generate` tool can call. */
export interface LlmPort {
  generate(prompt: string, signal: AbortSignal): Promise<{ text: string; usage?: unknown; costUsd?: number }>;
}

/**
 * The agent's long-term memory as the memory tools see it. `store` should treat `context.callId` as an
 * idempotency key (the tool is declared idempotent so a resumed run may call it again).
 */
export interface MemoryPort {
  recall(query: string, limit: number, context: ToolContext): Promise<unknown[]>;
  store(text: string, importance: number, context: ToolContext): Promise<{ id: string }>;
}

/** Writes an audit entry; failures are swallowed by the tools (auditing never breaks a call). */
export type AuditWriter = (
  action: string,
  detail: Record<string, unknown>,
  context: ToolContext,
) => Promise<void>;

/** Limits and sandbox settings for `shell_exec`. */
export interface ShellOptions {
  /**
   * Path of bubblewrap; `null` means no sandbox, so commands are refused unless `allowUnsandboxed`.
   * @default '/usr/bin/bwrap'
   */
  bwrapPath?: string | null;
  /** Path of util-linux `prlimit`, used for the memory cap; `null` disables it. @default '/usr/bin/prlimit' */
  prlimitPath?: string | null;
  /** @default 30000 */
  timeoutMs?: number;
  /** Per stream. @default 262144 (256 KiB) */
  maxOutputBytes?: number;
  /** Address-space limit (`RLIMIT_AS`) of the command. @default 1073741824 (1 GiB) */
  memoryBytes?: number;
  /**
   * Run commands without a sandbox when bubblewrap is missing or refused (`AUTONOMA_ALLOW_UNSANDBOXED`).
   * Unconfined commands see the whole host, Autonoma's home included. Otherwise such calls fail with
   * `sandbox_unavailable`. @default false
   */
  allowUnsandboxed?: boolean;
}

/** Limits for `http_request`. */
export interface HttpOptions {
  /** @default 15000 */
  timeoutMs?: number;
  /** @default 1048576 (1 MiB) */
  maxResponseBytes?: number;
  /** @default 5 */
  maxRedirects?: number;
}

/** Everything the built-in tools depend on, injected by the composition root. */
export interface BuiltinToolOptions {
  /** Operator-opened destinations (`AUTONOMA_HTTP_ALLOW`): hosts, `host:port`s or CIDRs. */
  httpAllow: readonly string[];
  /**
   * Autonoma's home (`AUTONOMA_HOME`), absolute: the file tools refuse what lies in it and `shell_exec`
   * hides it (see `isProtected`). Without it nothing is protected.
   */
  home?: string;
  /** DNS resolver for outbound requests. @default `dns.lookup` with `all: true` */
  resolver?: Resolver;
  /** `fs_read` returns at most this many bytes and flags the rest. @default 1048576 (1 MiB) */
  maxReadBytes?: number;
  /** `fs_write` refuses larger content. @default 1048576 (1 MiB) */
  maxWriteBytes?: number;
  http?: HttpOptions;
  shell?: ShellOptions;
  /** Limits of `code_run`. */
  code?: JavaScriptLimits;
  /** SerpAPI key (`SERPAPI_API_KEY`); without it (and without `searchProvider`) `web_search` fails clearly. */
  serpApiKey?: string;
  /** @default 'https://serpapi.com' */
  serpApiBaseUrl?: string;
  /** Replaces the SerpAPI adapter. */
  searchProvider?: SearchProvider;
  llm?: LlmPort;
  memory?: MemoryPort;
  audit?: AuditWriter;
}

/** Calls the audit writer, if any, and never lets it fail the tool. */
export async function writeAudit(
  options: BuiltinToolOptions,
  action: string,
  detail: Record<string, unknown>,
  context: ToolContext,
): Promise<void> {
  try {
    await options.audit?.(action, detail, context);
  } catch {
    // The audit log is best effort from a tool's point of view; the platform reports its own failures.
  }
}
