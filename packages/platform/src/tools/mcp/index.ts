export * from './call-result.ts';
export * from './connect-mcp-servers.ts';
export * from './guarded-fetch.ts';
export * from './json-schema-to-zod.ts';
export type { McpServerStatus } from './mcp-connection.ts';
export type { McpLogger } from './mcp-session.ts';
export { mcpToolName, mcpToolRisk } from './mcp-tools.ts';
