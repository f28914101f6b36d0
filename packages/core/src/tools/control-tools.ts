import { z } from 'zod';
import { controlResult } from '../agent/control.ts';
import { askUserToolName, delegateToolName } from '../agent/delegation.ts';
import type { Agent } from '../protocol/agent.ts';
import { Budgets, Goal, GoalSpec, maxGoalLength } from '../protocol/run.ts';
import type { AnyTool } from './define-tool.ts';
import { ToolError, defineTool } from './define-tool.ts';

/** Longest question `ask_user` accepts, in characters. */
export const maxQuestionLength = 4_000;

/**
 * `ask_user`: puts a question to the run's user. The run waits in `waiting_input`, holding no worker,
 * until the answer arrives (it becomes this call's result) or the run's wall-time budget runs out.
 */
export const askUserTool: AnyTool = defineTool({
  name: askUserToolName,
  description:
    'Ask the user a question and wait for the answer, which becomes this call’s result. The run pauses (holding no worker) until the user answers. Use it only when you cannot go on without the user.',
  input: z.strictObject({ question: z.string().trim().min(1).max(maxQuestionLength) }),
  idempotent: true,
  risk: 'low',
  execute: async ({ question }) => controlResult({ kind: 'ask', question }),
}) as AnyTool;

/** What `delegate` looks agents up in. */
export interface DelegateAgents {
  get(orgId: string, idOrName: string): Promise<Agent | undefined>;
  list(orgId: string): Promise<Agent[]>;
}

/**
 * `delegate`: hands a sub-goal to a child run of another agent (or of the same one). The child runs
 * with its own agent's tools, allowlist and budgets (carved from what this run has left), in parallel
 * with the other sub-goals delegated in the same step; this run waits in `waiting_children`, holding
 * no worker, and gets the child's outcome (answer or failure, usage) as this call's result.
 */
export function createDelegateTool(agents: DelegateAgents): AnyTool {
  return defineTool({
    name: delegateToolName,
    description:
      'Hand a sub-goal to an agent as a child run. Several delegate calls in one step run in parallel; this run waits for all of them and gets each child’s answer (or failure) as the call’s result. `agent` names the agent (default: yourself); `budgets` may ask for less than what you have left.',
    input: z.strictObject({
      goal: z.string().trim().min(1).max(maxGoalLength),
      agent: z.string().min(1).optional(),
      /** A formal goal for the child (facts to make true, inputs), e.g. for a planner agent. */
      spec: GoalSpec.optional(),
      budgets: Budgets.optional(),
    }),
    idempotent: true,
    risk: 'medium',
    async execute(input, context) {
      const wanted = input.agent ?? context.agentId;
      const agent = await agents.get(context.orgId, wanted);
      if (!agent) {
        const names = (await agents.list(context.orgId)).map((known) => known.name);
        throw new ToolError(
          'unknown_agent',
          `no agent named '${wanted}'; agents: ${names.join(', ') || 'none'}`,
        );
      }
      const goal = Goal.safeParse({ text: input.goal, ...(input.spec ? { spec: input.spec } : {}) });
      if (!goal.success) {
        throw new ToolError(
          'invalid_goal',
          `the sub-goal cannot be stored: ${goal.error.issues[0]?.message}`,
        );
      }
      return controlResult({
        kind: 'delegate',
        tasks: [
          {
            goal: goal.data.text,
            ...(goal.data.spec ? { spec: goal.data.spec } : {}),
            agent: agent.name,
            agentId: agent.id,
            budgets: { ...agent.budgets, ...input.budgets },
          },
        ],
      });
    },
  }) as AnyTool;
}
