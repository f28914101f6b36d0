/** The tools of the app and of each run (part of the composition root). */
import type { Agent, AnyTool, Clock, Run, ToolHost } from '@autonoma/core';
import { ToolRegistry, askUserTool, combineHosts, createDelegateTool } from '@autonoma/core';
import type { Config } from './config/schema.ts';
import { createMemoryPort } from './learning/memory-port.ts';
import type { ScopedTools } from './services/run-service.ts';
import type { McpPool } from './tools/mcp/mcp-pool.ts';
import type { Stores } from './store/database.ts';
import type { LlmPort } from './tools/builtins/index.ts';
import { createBuiltinTools } from './tools/builtins/index.ts';
import { createSkillTools } from './tools/skills/index.ts';

/** What the tools are built from. */
export interface ToolWiring {
  config: Config;
  home: string;
  stores: Stores;
  clock: Clock;
  llm: LlmPort | undefined;
  embed: ((text: string) => Promise<number[]>) | undefined;
  extra: readonly AnyTool[];
}

/** Every built-in and skill tool, plus extras (tests, embedders). */
export function createToolRegistry(wiring: ToolWiring): ToolRegistry {
  const { config, home, stores, clock, llm, embed } = wiring;
  return new ToolRegistry([
    ...createBuiltinTools({
      httpAllow: config.httpAllow,
      home,
      shell: { allowUnsandboxed: config.allowUnsandboxed },
      ...(config.serpApiKey ? { serpApiKey: config.serpApiKey } : {}),
      ...(config.serpApiBaseUrl ? { serpApiBaseUrl: config.serpApiBaseUrl } : {}),
      ...(llm ? { llm } : {}),
      memory: createMemoryPort({ memories: stores.memories, clock, ...(embed ? { embed } : {}) }),
      audit: async (action, detail, context) => {
        await stores.audit.append({
          orgId: context.orgId,
          actor: `agent:${context.agentId}`,
          action,
          target: context.callId,
          detail,
          at: clock.now(),
        });
      },
    }),
    // The tools that hand control back to the loop: a child run, a question for the user.
    createDelegateTool(stores.agents),
    askUserTool,
    ...createSkillTools({ home }),
    ...wiring.extra,
  ]);
}

/**
 * The tools of one agent for one run: the registry, plus the agent's MCP servers confined to the
 * run's workspace (the MCP SDK is loaded only for agents that use servers). With a `pool`, the servers
 * are borrowed from it (kept per agent version and workspace across slices) instead of being started
 * and stopped at every advance.
 */
export function toolsForRuns(
  registry: ToolHost,
  options: { config: Config; home: string; workspaceOf: (run: Run) => string; pool?: McpPool },
): (agent: Agent, run: Run) => Promise<ScopedTools> {
  return async (agent, run) => {
    if (agent.mcpServers.length === 0) return { host: registry, close: async () => undefined };
    const { httpAllow, allowUnsandboxed } = options.config;
    const { connectMcpServers } = await import('./tools/mcp/index.ts');
    const workspace = options.workspaceOf(run);
    const connect = () =>
      connectMcpServers(agent.mcpServers, { httpAllow, home: options.home, workspace, allowUnsandboxed });
    if (!options.pool) {
      const mcp = await connect();
      return { host: combineHosts(registry, mcp), close: () => mcp.close() };
    }
    const lent = await options.pool.acquire(`${agent.id}@${agent.updatedAt}:${workspace}`, connect);
    return { host: combineHosts(registry, lent.host), close: () => lent.release() };
  };
}
