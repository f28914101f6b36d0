import { readFileSync } from 'node:fs';
import { AgentSpec, userError } from '@autonoma/core';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { withBackend } from '../remote/connect.ts';
import { processOutput } from '../output.ts';

/** Reads and validates an agent definition file (JSON or YAML). */
export function readAgentFile(path: string): AgentSpec {
  let value: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    value = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw userError(
      'invalid_input',
      `cannot read agent file ${path}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  const parsed = AgentSpec.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw userError(
      'invalid_input',
      `agent file ${path}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

/** `autonoma agents list [--json]`. */
export async function listAgents(flags: { json?: boolean }, command: Command): Promise<void> {
  await withBackend(command, async (backend) => {
    const list = await backend.agents.list();
    if (flags.json) processOutput.out(JSON.stringify(list));
    else
      for (const agent of list)
        processOutput.out(
          `${agent.name.padEnd(20)} brain ${agent.brain.padEnd(8)} tools ${agent.tools?.join(',') ?? '(default)'}`,
        );
  });
}

/** `autonoma agents show <name>`. */
export async function showAgent(name: string, _flags: unknown, command: Command): Promise<void> {
  await withBackend(command, async (backend) => {
    processOutput.out(JSON.stringify(await backend.agents.get(name), null, 2));
  });
}

/** `autonoma agents create --file <path>`. */
export async function createAgent(flags: { file: string }, command: Command): Promise<void> {
  const spec = readAgentFile(flags.file);
  await withBackend(command, async (backend) => {
    const agent = await backend.agents.put(spec);
    processOutput.out(`agent ${agent.name} saved`);
  });
}

/** `autonoma agents delete <name>`. */
export async function deleteAgent(name: string, _flags: unknown, command: Command): Promise<void> {
  await withBackend(command, async (backend) => {
    await backend.agents.delete(name);
    processOutput.out(`agent ${name} deleted`);
  });
}
