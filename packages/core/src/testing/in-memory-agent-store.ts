import type { AgentStore } from '../ports/run-store.ts';
import type { Agent, AgentSpec } from '../protocol/agent.ts';
import { copy } from './in-memory-run-store.ts';

/** An in-memory {@link AgentStore}: names are unique per organization. */
export class InMemoryAgentStore implements AgentStore {
  readonly #agents = new Map<string, Agent>();

  #find(orgId: string, idOrName: string): Agent | undefined {
    const agents = [...this.#agents.values()].filter((agent) => agent.orgId === orgId);
    return agents.find((agent) => agent.id === idOrName) ?? agents.find((agent) => agent.name === idOrName);
  }

  async upsert(orgId: string, spec: AgentSpec, ids: { id: string; now: number }): Promise<Agent> {
    const existing = this.#find(orgId, spec.name);
    const agent: Agent =
      existing !== undefined && existing.name === spec.name
        ? { ...copy(spec), id: existing.id, orgId, createdAt: existing.createdAt, updatedAt: ids.now }
        : { ...copy(spec), id: ids.id, orgId, createdAt: ids.now, updatedAt: ids.now };
    this.#agents.set(agent.id, agent);
    return copy(agent);
  }

  async get(orgId: string, idOrName: string): Promise<Agent | undefined> {
    return copy(this.#find(orgId, idOrName));
  }

  async list(orgId: string): Promise<Agent[]> {
    return [...this.#agents.values()]
      .filter((agent) => agent.orgId === orgId)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map(copy);
  }

  async delete(orgId: string, idOrName: string): Promise<boolean> {
    const agent = this.#find(orgId, idOrName);
    if (agent === undefined) return false;
    this.#agents.delete(agent.id);
    return true;
  }
}
