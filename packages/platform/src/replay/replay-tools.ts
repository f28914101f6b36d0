import type { AnyTool, RunEvent, ToolHost } from '@autonoma/core';
import { ToolError, ToolRegistry } from '@autonoma/core';
import { z } from 'zod';

/**
 * Tools with the installed tools' names, schemas, risks and contracts (so allowlist, schema checks,
 * loop guard and approvals behave as they did) whose execution returns the recorded result of the
 * same call key instead of doing anything.
 */
export function createReplayTools(events: readonly RunEvent[], installed: ToolHost): ToolHost {
  const outcomes = new Map<string, Extract<RunEvent, { type: 'tool-call-end' }>>();
  for (const event of events) if (event.type === 'tool-call-end') outcomes.set(event.callId, event);
  const execute = async (_input: unknown, context: { callId: string }): Promise<unknown> => {
    const recorded = outcomes.get(context.callId);
    if (!recorded) throw new ToolError('replay_missing', `no result was recorded for call ${context.callId}`);
    if (recorded.ok) return recorded.result;
    const message = recorded.error?.message ?? 'failed';
    // The loop prefixes a failed call's message with the tool's name; it will add it again.
    const prefix = `${recorded.tool}: `;
    throw new ToolError(
      recorded.error?.code ?? 'tool_failed',
      message.startsWith(prefix) ? message.slice(prefix.length) : message,
    );
  };
  const twins = new Map<string, AnyTool>();
  for (const tool of installed.list()) twins.set(tool.name, { ...tool, execute });
  for (const event of events) {
    if (event.type !== 'tool-call-start' || twins.has(event.tool)) continue;
    // A tool that is no longer installed (an MCP server that is not connected now).
    twins.set(event.tool, {
      name: event.tool,
      description: 'replayed tool',
      input: z.unknown(),
      idempotent: true,
      risk: 'low',
      execute,
    });
  }
  return new ToolRegistry(twins.values());
}
