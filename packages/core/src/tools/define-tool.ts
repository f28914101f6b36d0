import { z } from 'zod';
import type { Risk } from '../protocol/agent.ts';
import type { ErrorValue } from '../protocol/events.ts';
import type { ActionContract } from './contract.ts';

/** What a tool receives besides its input. */
export interface ToolContext {
  runId: string;
  /** The first run of the run's delegation tree (`runId` itself for a run no run delegated). */
  rootRunId: string;
  orgId: string;
  agentId: string;
  /** The idempotency key of this call: `runId:stepSeq:callIndex`. Stable across retries and resumes. */
  callId: string;
  /** Directory the tool is confined to. */
  workspace: string;
  /** Aborted when the run is cancelled or the call times out. */
  signal: AbortSignal;
  /** Commands `shell_exec` may run for this agent. */
  shellAllow: readonly string[];
}

/** A tool: a schema-checked input, an effect, and the declarations the platform relies on. */
export interface ToolDefinition<Input = unknown, Output = unknown> {
  /** Matches `^[a-zA-Z0-9_-]+$` (every provider accepts it). */
  name: string;
  description: string;
  input: z.ZodType<Input>;
  /** True when running it twice with the same key has the effect of running it once. */
  idempotent: boolean;
  risk: Risk;
  /** Planner contract, when the tool can be planned with. */
  contract?: ActionContract;
  /** Call time limit in milliseconds. @default 60000 */
  timeoutMs?: number;
  execute(input: Input, context: ToolContext): Promise<Output>;
}

/** A tool whose input type is erased, as held by registries. Any `ToolDefinition` is assignable to it. */
export interface AnyTool extends Omit<ToolDefinition<unknown, unknown>, 'input' | 'execute'> {
  input: z.ZodType<unknown>;
  execute(input: never, context: ToolContext): Promise<unknown>;
}

/** What a tool call produced: a value or an error the brain can act on. */
export type ToolOutcome = { ok: true; value: unknown } | { ok: false; error: ErrorValue };

/** A tool as a brain sees it: name, description and a JSON schema of its input. */
export interface ToolDescriptor {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  risk: Risk;
  idempotent: boolean;
  contract?: ActionContract;
}

const toolNamePattern = /^[a-zA-Z0-9_-]{1,64}$/;

/** Declares a tool. Checks its name once, at definition time. */
export function defineTool<Input, Output>(
  definition: ToolDefinition<Input, Output>,
): ToolDefinition<Input, Output> {
  if (!toolNamePattern.test(definition.name)) {
    throw new Error(`tool name '${definition.name}' must match ${toolNamePattern}`);
  }
  return Object.freeze(definition);
}

/** The descriptor a brain sees for a tool. */
export function describeTool(tool: AnyTool): ToolDescriptor {
  const schema = z.toJSONSchema(tool.input, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  delete schema['$schema'];
  return {
    name: tool.name,
    description: tool.description,
    inputSchema: schema,
    risk: tool.risk,
    idempotent: tool.idempotent,
    ...(tool.contract ? { contract: tool.contract } : {}),
  };
}

/** A thrown error a tool raises on purpose, with a code the brain can act on. */
export class ToolError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ToolError';
    this.code = code;
  }
}
