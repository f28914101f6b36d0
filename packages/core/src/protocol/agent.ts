import { z } from 'zod';
import { Budgets } from './run.ts';

/** Tool risk levels, in increasing order. */
export const riskLevels = ['low', 'medium', 'high'] as const;
export const Risk = z.enum(riskLevels);
/** A tool's risk level. */
export type Risk = z.infer<typeof Risk>;

/** When a tool call must wait for a human. */
export const ApprovalPolicy = z.strictObject({
  /**
   * Calls at or above this risk need approval; `none` turns risk-based approval off (only `tools`
   * then pause). High-risk tools (`shell_exec`, an MCP tool marked `destructiveHint`) pause by default.
   * @default 'high'
   */
  minRisk: z.enum([...riskLevels, 'none']).default('high'),
  /** Tools that always need approval. */
  tools: z.array(z.string()).default([]),
});
/** An approval policy. */
export type ApprovalPolicy = z.infer<typeof ApprovalPolicy>;

/** Memory settings of an agent. */
export const MemorySettings = z.strictObject({
  /** Token budget of the working memory before older context is summarized. @default 8000 */
  workingTokens: z.number().int().positive().default(8000),
  /** Episodes and lessons recalled at run start. @default 5 */
  recallLimit: z.number().int().nonnegative().default(5),
});

/** An MCP server an agent uses. */
export const McpServerConfig = z.discriminatedUnion('transport', [
  z.strictObject({
    transport: z.literal('stdio'),
    name: z.string().regex(/^[a-zA-Z0-9-]+$/),
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    timeoutMs: z.number().int().positive().default(30_000),
  }),
  z.strictObject({
    transport: z.literal('http'),
    name: z.string().regex(/^[a-zA-Z0-9-]+$/),
    url: z.string().url(),
    headers: z.record(z.string(), z.string()).default({}),
    timeoutMs: z.number().int().positive().default(30_000),
  }),
]);
/** An MCP server configuration. */
export type McpServerConfig = z.infer<typeof McpServerConfig>;

/** An agent definition as a user writes it. */
export const AgentSpec = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'letters, digits, _ . - (1–64)'),
  instructions: z.string().max(50_000).default(''),
  /** `model` uses the configured model; `planner` the classical planner; `auto` picks model when one is configured. */
  brain: z.enum(['model', 'planner', 'auto']).default('auto'),
  /** Tool allowlist. Absent: every built-in whose risk is below `high`. */
  tools: z.array(z.string()).optional(),
  /** Commands `shell_exec` may run (argv[0]). */
  shellAllow: z.array(z.string()).default([]),
  budgets: Budgets.default({ maxSteps: 50, maxWallMs: 30 * 60_000 }),
  approval: ApprovalPolicy.default({ minRisk: 'high', tools: [] }),
  memory: MemorySettings.default({ workingTokens: 8000, recallLimit: 5 }),
  mcpServers: z.array(McpServerConfig).default([]),
  /** Runs of this agent allowed at once. @default 10 */
  concurrency: z.number().int().positive().default(10),
});
/** An agent spec (input). */
export type AgentSpecInput = z.input<typeof AgentSpec>;
/** An agent spec (parsed). */
export type AgentSpec = z.infer<typeof AgentSpec>;

/** An agent as stored. */
export interface Agent extends AgentSpec {
  id: string;
  orgId: string;
  createdAt: number;
  updatedAt: number;
}

/** Name of the agent used when none is named. */
export const defaultAgentName = 'default';

/** The organization of the embedded mode and of the local CLI (a real row, created by migration 0004). */
export const defaultOrgId = 'org_default';
