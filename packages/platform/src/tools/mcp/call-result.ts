import { ToolError } from '@autonoma/core';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/** One item of an MCP tool's answer: text as is, anything else as a JSON description. */
export type McpContentItem = { type: 'text'; text: string } | { type: 'json'; value: unknown };

/** What an MCP tool returns to the loop. */
export interface McpToolOutput {
  content: McpContentItem[];
  /** The tool's structured result, when it declares one. */
  structuredContent?: Record<string, unknown>;
}

type CallToolResult = z.infer<typeof CallToolResultSchema>;
type ContentBlock = CallToolResult['content'][number];

const maxErrorLength = 2000;

/** Non-text items are described, not inlined: a base64 image in a model's context is cost, not signal. */
function describeBlock(block: ContentBlock): McpContentItem {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'image':
    case 'audio':
      return {
        type: 'json',
        value: { kind: block.type, mimeType: block.mimeType, bytes: Math.floor((block.data.length * 3) / 4) },
      };
    case 'resource_link':
      return {
        type: 'json',
        value: { kind: 'resource_link', uri: block.uri, name: block.name, mimeType: block.mimeType },
      };
    case 'resource': {
      const { resource } = block;
      return 'text' in resource
        ? {
            type: 'json',
            value: { kind: 'resource', uri: resource.uri, mimeType: resource.mimeType, text: resource.text },
          }
        : {
            type: 'json',
            value: {
              kind: 'resource',
              uri: resource.uri,
              mimeType: resource.mimeType,
              bytes: resource.blob.length,
            },
          };
    }
  }
}

const firstIssue = (error: z.ZodError): string => {
  const issue = error.issues[0];
  if (!issue) return 'invalid result';
  const path = issue.path.length > 0 ? issue.path.join('.') : 'result';
  return `${path}: ${issue.message}`;
};

/** Validates a tool's structured result against its declared output schema, when zod can read it. */
export type OutputValidator = (value: unknown) => string | undefined;

/** Builds an {@link OutputValidator} from a tool's `outputSchema`, or nothing when zod cannot read it. */
export function outputValidator(schema: Record<string, unknown> | undefined): OutputValidator | undefined {
  if (!schema) return undefined;
  try {
    const zodSchema = z.fromJSONSchema(schema as z.core.JSONSchema.JSONSchema);
    return (value) => {
      const parsed = zodSchema.safeParse(value);
      return parsed.success ? undefined : firstIssue(parsed.error);
    };
  } catch {
    return undefined;
  }
}

/**
 * Turns a raw `tools/call` result into the tool's output. A result flagged `isError` becomes
 * `mcp_tool_error` with the tool's text; a result that is not a valid `CallToolResult`, or whose
 * structured content breaks the declared output schema, becomes `mcp_malformed`.
 */
export function toToolOutput(
  raw: unknown,
  label: string,
  validate: OutputValidator | undefined,
): McpToolOutput {
  const parsed = CallToolResultSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ToolError(
      'mcp_malformed',
      `${label} returned a malformed result (${firstIssue(parsed.error)})`,
    );
  }
  const result = parsed.data;
  const content = result.content.map(describeBlock);
  if (result.isError === true) {
    const text = content
      .map((item) => (item.type === 'text' ? item.text : JSON.stringify(item.value)))
      .join('\n')
      .slice(0, maxErrorLength);
    throw new ToolError('mcp_tool_error', text === '' ? `${label} failed without a message` : text);
  }
  const structured = result.structuredContent;
  if (validate) {
    const problem = structured === undefined ? 'no structuredContent' : validate(structured);
    if (problem !== undefined) {
      throw new ToolError('mcp_malformed', `${label} broke its output schema (${problem})`);
    }
  }
  return { content, ...(structured === undefined ? {} : { structuredContent: structured }) };
}
