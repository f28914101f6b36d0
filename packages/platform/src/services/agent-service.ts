import type { Agent, AgentStore, AuditLog, Clock, IdGenerator, Scope, ToolHost } from '@autonoma/core';
import { AgentSpec, defaultAgentName, notFound, userError } from '@autonoma/core';

/** What the agent service needs. */
export interface AgentServiceDeps {
  agents: AgentStore;
  audit: AuditLog;
  /** The built-in and skill tools, to refuse an allowlist naming a tool that does not exist. */
  tools: ToolHost;
  clock: Clock;
  ids: IdGenerator;
}

/** Agent definitions of the caller's organization. */
export class AgentService {
  readonly #deps: AgentServiceDeps;

  constructor(deps: AgentServiceDeps) {
    this.#deps = deps;
  }

  /** Every agent, by name. */
  list(scope: Scope): Promise<Agent[]> {
    return this.#deps.agents.list(scope.orgId);
  }

  /** The agent with this name or id (the default agent when absent), or `not_found`. */
  async get(scope: Scope, nameOrId: string | undefined): Promise<Agent> {
    const wanted = nameOrId ?? defaultAgentName;
    const agent = await this.#deps.agents.get(scope.orgId, wanted);
    if (!agent) throw notFound('agent', wanted);
    return agent;
  }

  /**
   * Creates or replaces an agent by name. An allowlist may name built-ins, skills and MCP tools
   * (`<server>__<tool>`); any other name is refused.
   */
  async put(scope: Scope, spec: AgentSpec): Promise<Agent> {
    const deps = this.#deps;
    for (const tool of spec.tools ?? []) {
      if (!deps.tools.get(tool) && !tool.includes('__'))
        throw userError('invalid_input', `agent ${spec.name}: unknown tool '${tool}'`);
    }
    const now = deps.clock.now();
    const agent = await deps.agents.upsert(scope.orgId, spec, { id: deps.ids.next('agt'), now });
    await deps.audit.append({
      orgId: scope.orgId,
      actor: scope.actor,
      action: 'agent.put',
      target: agent.id,
      detail: { name: agent.name },
      at: now,
    });
    return agent;
  }

  /** Deletes an agent; `not_found` when there is none. */
  async delete(scope: Scope, nameOrId: string): Promise<void> {
    const deps = this.#deps;
    if (!(await deps.agents.delete(scope.orgId, nameOrId))) throw notFound('agent', nameOrId);
    await deps.audit.append({
      orgId: scope.orgId,
      actor: scope.actor,
      action: 'agent.delete',
      target: nameOrId,
      detail: {},
      at: deps.clock.now(),
    });
  }

  /**
   * Creates the default agent when the organization has none: an explicit first-start step (migrate,
   * the embedded store's first open), never a side effect of reading.
   */
  ensureDefault(scope: Scope): Promise<Agent> {
    return ensureDefaultAgent(this.#deps, scope.orgId);
  }
}

/** Creates an organization's default agent unless it exists (for `autonoma migrate` and first starts). */
export async function ensureDefaultAgent(
  deps: { agents: AgentStore; clock: Clock; ids: IdGenerator },
  orgId: string,
): Promise<Agent> {
  const existing = await deps.agents.get(orgId, defaultAgentName);
  if (existing) return existing;
  return deps.agents.upsert(orgId, AgentSpec.parse({ name: defaultAgentName }), {
    id: deps.ids.next('agt'),
    now: deps.clock.now(),
  });
}
