import { cp, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AnyTool, ToolContext } from '@autonoma/core';
import { ToolError } from '@autonoma/core';
import { createSkillTools } from '../../src/tools/skills/index.ts';
import type { SkillToolOptions } from '../../src/tools/skills/index.ts';

/** The repository's examples directory. */
export const examplesDirectory = resolve(import.meta.dirname, '../../../../examples');

/** A temporary workspace (real path), optionally seeded with a copy of the examples. */
export async function makeWorkspace(
  options: { withExamples?: boolean } = {},
): Promise<{ workspace: string; cleanup: () => Promise<void> }> {
  const workspace = await realpath(await mkdtemp(join(tmpdir(), 'autonoma-skills-')));
  if (options.withExamples) await cp(examplesDirectory, join(workspace, 'examples'), { recursive: true });
  return { workspace, cleanup: () => rm(workspace, { recursive: true, force: true }) };
}

/** A tool context for one call. */
export const contextFor = (workspace: string, overrides: Partial<ToolContext> = {}): ToolContext => ({
  runId: 'run_1',
  rootRunId: overrides.runId ?? 'run_1',
  orgId: 'org_1',
  agentId: 'agent_1',
  callId: 'run_1:1:0',
  workspace,
  signal: new AbortController().signal,
  shellAllow: [],
  ...overrides,
});

/** The named skill. */
export function skill(name: string, options: SkillToolOptions = {}): AnyTool {
  const tool = createSkillTools(options).find((candidate) => candidate.name === name);
  if (!tool) throw new Error(`no skill ${name}`);
  return tool;
}

/** Parses the input with the tool's schema, as the loop does, and runs the tool. */
export async function callSkill<T = Record<string, unknown>>(
  tool: AnyTool,
  raw: unknown,
  context: ToolContext,
): Promise<T> {
  const parsed = tool.input.safeParse(raw);
  if (!parsed.success) throw new ToolError('invalid_input', parsed.error.message);
  return (await tool.execute(parsed.data as never, context)) as T;
}

/** The ToolError of a call expected to fail. */
export async function skillFailure(tool: AnyTool, raw: unknown, context: ToolContext): Promise<ToolError> {
  try {
    await callSkill(tool, raw, context);
  } catch (error: unknown) {
    if (error instanceof ToolError) return error;
    throw error;
  }
  throw new Error(`${tool.name} did not fail`);
}
