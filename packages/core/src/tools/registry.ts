import type { Risk } from '../protocol/agent.ts';
import { riskLevels } from '../protocol/agent.ts';
import type { AnyTool, ToolDescriptor } from './define-tool.ts';
import { describeTool } from './define-tool.ts';

/** Where the loop finds tools. Built-ins, skills and MCP servers all plug in behind it. */
export interface ToolHost {
  /** Every tool this host offers. */
  list(): readonly AnyTool[];
  /** The tool with this name, if any. */
  get(name: string): AnyTool | undefined;
}

/** A name → tool map. Refuses duplicates. */
export class ToolRegistry implements ToolHost {
  readonly #tools = new Map<string, AnyTool>();

  constructor(tools: Iterable<AnyTool> = []) {
    for (const tool of tools) this.add(tool);
  }

  /** Adds a tool; a second tool with the same name is an error. */
  add(tool: AnyTool): this {
    if (this.#tools.has(tool.name)) throw new Error(`tool '${tool.name}' is registered twice`);
    this.#tools.set(tool.name, tool);
    return this;
  }

  list(): readonly AnyTool[] {
    return [...this.#tools.values()];
  }

  get(name: string): AnyTool | undefined {
    return this.#tools.get(name);
  }
}

/** A host that shows several hosts as one (first match wins). */
export function combineHosts(...hosts: ToolHost[]): ToolHost {
  return {
    list: () => hosts.flatMap((host) => host.list()),
    get: (name) => {
      for (const host of hosts) {
        const tool = host.get(name);
        if (tool) return tool;
      }
      return undefined;
    },
  };
}

const riskRank = (risk: Risk): number => riskLevels.indexOf(risk);

/**
 * The tools an agent may call: its allowlist when it has one, else every tool below `high` risk.
 * The loop enforces this set server-side whatever a brain asks for.
 */
export function allowedTools(host: ToolHost, allowlist: readonly string[] | undefined): AnyTool[] {
  if (allowlist) return allowlist.map((name) => host.get(name)).filter((tool) => tool !== undefined);
  return host.list().filter((tool) => riskRank(tool.risk) < riskRank('high'));
}

/** Descriptors for a set of tools. */
export const describeTools = (tools: readonly AnyTool[]): ToolDescriptor[] => tools.map(describeTool);

/** True when a call of this risk or name needs approval under the policy. */
export function needsApproval(
  policy: { minRisk: Risk | 'none'; tools: readonly string[] },
  tool: AnyTool,
): boolean {
  if (policy.tools.includes(tool.name)) return true;
  return policy.minRisk !== 'none' && riskRank(tool.risk) >= riskRank(policy.minRisk);
}
