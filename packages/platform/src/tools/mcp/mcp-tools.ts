import type { AnyTool, Risk, ToolContext } from '@autonoma/core';
import { defineTool } from '@autonoma/core';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { McpToolOutput } from './call-result.ts';
import { jsonSchemaToZod } from './json-schema-to-zod.ts';

/** Calls one tool of one MCP server. */
export type McpCall = (toolName: string, input: unknown, context: ToolContext) => Promise<McpToolOutput>;

const maxNameLength = 64;
const maxDescriptionLength = 4096;

/**
 * The platform name of an MCP tool: `<server>__<tool>`, every character outside `[a-zA-Z0-9_-]`
 * replaced by `_`, cut to 64 characters. `taken` holds names already given; a clash gets a `_2`, `_3`
 * suffix.
 */
export function mcpToolName(server: string, tool: string, taken: ReadonlySet<string> = new Set()): string {
  const base = `${server}__${tool}`.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, maxNameLength);
  if (!taken.has(base)) return base;
  for (let suffix = 2; ; suffix += 1) {
    const tail = `_${suffix}`;
    const candidate = `${base.slice(0, maxNameLength - tail.length)}${tail}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** Risk from MCP tool annotations: destructive → high, read-only → low, else medium. */
export function mcpToolRisk(annotations: Tool['annotations']): Risk {
  if (annotations?.destructiveHint === true) return 'high';
  if (annotations?.readOnlyHint === true) return 'low';
  return 'medium';
}

/**
 * Wraps the tools an MCP server listed as platform tools. Idempotent only when the server says
 * `idempotentHint: true`: a repeated call on resume must not repeat an effect we know nothing about.
 * The tool's own time limit is a little above the server's `timeoutMs`, so the call reports
 * `mcp_timeout` before the loop's deadline cuts it.
 */
export function createMcpTools(options: {
  server: string;
  tools: readonly Tool[];
  timeoutMs: number;
  call: McpCall;
  taken?: Set<string>;
}): AnyTool[] {
  const taken = options.taken ?? new Set<string>();
  return options.tools.map((tool) => {
    const name = mcpToolName(options.server, tool.name, taken);
    taken.add(name);
    const description = tool.description ?? tool.title ?? tool.annotations?.title ?? tool.name;
    return defineTool<unknown, McpToolOutput>({
      name,
      description: `${description.slice(0, maxDescriptionLength)} (MCP server '${options.server}')`,
      input: jsonSchemaToZod(tool.inputSchema),
      idempotent: tool.annotations?.idempotentHint === true,
      risk: mcpToolRisk(tool.annotations),
      timeoutMs: options.timeoutMs + 1000,
      execute: (input, context) => options.call(tool.name, input, context),
    });
  });
}
