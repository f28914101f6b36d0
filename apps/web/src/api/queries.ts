/** Queries several pages share. */
import { useQuery } from '@tanstack/react-query';
import { useApi } from './session.tsx';
import type { AgentView, ToolView } from './types.ts';

/** The organization's agents (id → name is what lists show). */
export function useAgents() {
  const client = useApi();
  return useQuery({
    queryKey: ['agents'],
    queryFn: ({ signal }) => client.get<{ items: AgentView[] }>('/v1/agents', undefined, signal),
    staleTime: 30_000,
  });
}

/** The name of an agent id, or the id while the agents load. */
export function useAgentName(): (agentId: string) => string {
  const agents = useAgents();
  return (agentId) => agents.data?.items.find((agent) => agent.id === agentId)?.name ?? agentId;
}

/** The tools runs may use. */
export function useTools() {
  const client = useApi();
  return useQuery({
    queryKey: ['tools'],
    queryFn: ({ signal }) => client.get<{ items: ToolView[] }>('/v1/tools', undefined, signal),
    staleTime: 60_000,
  });
}
