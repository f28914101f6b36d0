import type { AnyTool } from '@autonoma/core';
import { parseAllowlist } from '../net/allowlist.ts';
import { createCodeRunTool } from './code-run.ts';
import { createFsListTool } from './fs-list.ts';
import { createFsReadTool } from './fs-read.ts';
import { createFsWriteTool } from './fs-write.ts';
import { createHttpRequestTool } from './http-request.ts';
import { createLlmGenerateTool } from './llm-generate.ts';
import { createMemoryRecallTool, createMemoryStoreTool } from './memory-tools.ts';
import type { BuiltinToolOptions } from './options.ts';
import { createShellExecTool } from './shell-exec.ts';
import { createWebSearchTool } from './web-search.ts';

export type {
  AuditWriter,
  BuiltinToolOptions,
  HttpOptions,
  LlmPort,
  MemoryPort,
  ShellOptions,
} from './options.ts';
export type { SearchProvider, SearchResult, SerpApiOptions } from './search-provider.ts';
export { createSerpApiProvider } from './search-provider.ts';

/**
 * Every built-in tool except `delegate` (which needs the run machinery): `fs_read`, `fs_write`, `fs_list`,
 * `http_request`, `shell_exec`, `code_run`, `web_search`, `llm_generate`, `memory_recall`, `memory_store`.
 * Tools whose dependency is missing are still listed and fail with a `not_configured` error saying what to
 * set. Throws `invalid_config` when an `httpAllow` entry is malformed.
 */
export function createBuiltinTools(options: BuiltinToolOptions): AnyTool[] {
  const allow = parseAllowlist(options.httpAllow);
  const tools = [
    createFsReadTool(options),
    createFsWriteTool(options),
    createFsListTool(options),
    createHttpRequestTool(options, allow),
    createShellExecTool(options),
    createCodeRunTool(options),
    createWebSearchTool(options, allow),
    createLlmGenerateTool(options),
    createMemoryRecallTool(options),
    createMemoryStoreTool(options),
  ];
  return tools;
}
