/** How agents look through the API and in the CLI's `--json` output. */
import type { Agent } from '@autonoma/core';
import { AgentSpec } from '@autonoma/core';
import { z } from 'zod';

/** An agent definition with its id and times. */
export const AgentView = AgentSpec.extend({
  id: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
}).meta({ id: 'Agent' });
/** An agent as clients see it. */
export type AgentView = z.infer<typeof AgentView>;

/** The client view of an agent. */
export function toAgentView(agent: Agent): AgentView {
  const { orgId: _orgId, ...view } = agent;
  return AgentView.parse(view);
}

/** `POST /v1/agents`: an agent definition (unknown fields are refused). */
export const AgentBody = AgentSpec.meta({ id: 'AgentSpec' });

/** `PUT /v1/agents/:name`: a definition whose name, if given, is the path's. */
export const AgentPutBody = AgentSpec.extend({ name: AgentSpec.shape.name.optional() });
