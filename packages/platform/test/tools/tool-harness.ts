import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyTool, ToolContext } from '@autonoma/core';
import { ToolError } from '@autonoma/core';
import { z } from 'zod';
import type { BuiltinToolOptions } from '../../src/tools/builtins/index.ts';
import { createBuiltinTools } from '../../src/tools/builtins/index.ts';

/** A context for one tool call in a test. */
export function makeContext(workspace: string, overrides: Partial<ToolContext> = {}): ToolContext {
  return {
    runId: 'run_1',
    rootRunId: overrides.runId ?? 'run_1',
    orgId: 'org_1',
    agentId: 'agent_1',
    callId: 'run_1:1:0',
    workspace,
    signal: new AbortController().signal,
    shellAllow: [],
    ...overrides,
  };
}

/** The named built-in tool. */
export function builtin(name: string, options: Partial<BuiltinToolOptions> = {}): AnyTool {
  const tool = createBuiltinTools({ httpAllow: [], ...options }).find((candidate) => candidate.name === name);
  if (!tool) throw new Error(`no built-in tool ${name}`);
  return tool;
}

/** Parses raw input with the tool's schema (as the loop does) and runs it. */
export async function callTool(tool: AnyTool, raw: unknown, context: ToolContext): Promise<unknown> {
  const parsed = tool.input.safeParse(raw);
  if (!parsed.success) throw new ToolError('invalid_input', z.prettifyError(parsed.error));
  return tool.execute(parsed.data as never, context);
}

/** Runs a call expected to fail and returns its ToolError. */
export async function toolFailure(tool: AnyTool, raw: unknown, context: ToolContext): Promise<ToolError> {
  try {
    await callTool(tool, raw, context);
  } catch (error: unknown) {
    if (error instanceof ToolError) return error;
    throw new Error(`expected a ToolError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected the call to fail');
}

/** A fresh real-path temporary directory, and its removal. */
export async function temporaryDirectory(
  prefix: string,
): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await realpath(await mkdtemp(join(tmpdir(), prefix)));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
