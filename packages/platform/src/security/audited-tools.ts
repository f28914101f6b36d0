/**
 * Every tool call a run makes goes into the audit log (ARCHITECTURE §8): the tool, its risk, the run,
 * and whether it succeeded — never its input or output, which may carry anything. Wraps the tools an
 * agent gets for one advance, so it holds whichever process (CLI, serve, worker) advances the run.
 */
import type { Agent, AnyTool, AuditLog, Clock, Run, ToolContext, ToolHost } from '@autonoma/core';
import { describeError } from '@autonoma/core';
import type { ScopedTools } from '../services/run-service.ts';

/** Appends `tool.call` for each call of `tool`; a failing append never fails the call. */
function auditedTool(tool: AnyTool, audit: AuditLog, clock: Clock): AnyTool {
  const record = (context: ToolContext, ok: boolean, error?: string): Promise<unknown> =>
    audit
      .append({
        orgId: context.orgId,
        actor: `agent:${context.agentId}`,
        action: 'tool.call',
        target: context.callId,
        detail: { tool: tool.name, risk: tool.risk, runId: context.runId, ok, ...(error ? { error } : {}) },
        at: clock.now(),
      })
      // The call's effect already happened; the tool-call journal still holds its record.
      .catch(() => undefined);
  return {
    ...tool,
    async execute(input: never, context: ToolContext) {
      try {
        const output = await tool.execute(input, context);
        await record(context, true);
        return output;
      } catch (error) {
        await record(context, false, describeError(error).slice(0, 200));
        throw error;
      }
    },
  };
}

/** A host whose tools are audited (each wrapped once, on first use). */
export function auditedHost(host: ToolHost, audit: AuditLog, clock: Clock): ToolHost {
  const wrapped = new Map<string, AnyTool>();
  const wrap = (tool: AnyTool): AnyTool => {
    let audited = wrapped.get(tool.name);
    if (!audited) {
      audited = auditedTool(tool, audit, clock);
      wrapped.set(tool.name, audited);
    }
    return audited;
  };
  return {
    list: () => host.list().map(wrap),
    get: (name) => {
      const tool = host.get(name);
      return tool && wrap(tool);
    },
  };
}

/** The run service's `toolsFor`, with every tool audited. */
export function auditToolCalls(
  toolsFor: (agent: Agent, run: Run) => Promise<ScopedTools>,
  deps: { audit: AuditLog; clock: Clock },
): (agent: Agent, run: Run) => Promise<ScopedTools> {
  return async (agent, run) => {
    const scoped = await toolsFor(agent, run);
    return { host: auditedHost(scoped.host, deps.audit, deps.clock), close: () => scoped.close() };
  };
}
