/**
 * Capabilities: what a worker can run, and what an agent's runs need. A capability is a tool name
 * (`shell_exec`…) or an MCP transport (`mcp:stdio`, `mcp:http`). A worker has every tool of its registry
 * except those its host cannot confine: `shell_exec` and MCP stdio servers need bubblewrap, unless the
 * operator allows unconfined commands (AUTONOMA_ALLOW_UNSANDBOXED).
 */
import type { Agent, ToolHost } from '@autonoma/core';
import { probeBwrap } from '../tools/sandbox/bwrap.ts';

/** Capabilities that depend on the host's sandbox. */
const sandboxed = ['shell_exec', 'mcp:stdio'];

/** What this process can run: its registry's tools and the MCP transports, less what it cannot confine. */
export async function workerCapabilities(
  tools: ToolHost,
  options: { allowUnsandboxed: boolean; bwrapPath?: string },
): Promise<string[]> {
  const confined = options.allowUnsandboxed || (await probeBwrap(options.bwrapPath ?? '/usr/bin/bwrap'));
  const all = [...tools.list().map((tool) => tool.name), 'mcp:http', 'mcp:stdio'];
  return all.filter((name) => confined || !sandboxed.includes(name)).sort();
}

/**
 * What a worker needs to advance the agent's runs: the tools its allowlist names (MCP tools, `<server>__…`,
 * come with their servers) and the transports of its MCP servers. An agent without an allowlist uses
 * tools below `high` risk, which every worker has.
 */
export function requiredCapabilities(agent: Pick<Agent, 'tools' | 'mcpServers'>): string[] {
  const tools = (agent.tools ?? []).filter((name) => !name.includes('__'));
  const transports = agent.mcpServers.map((server) => `mcp:${server.transport}`);
  return [...new Set([...tools, ...transports])].sort();
}

/** The capabilities of `required` that `available` lacks. */
export const missingCapabilities = (required: readonly string[], available: ReadonlySet<string>): string[] =>
  required.filter((capability) => !available.has(capability));
