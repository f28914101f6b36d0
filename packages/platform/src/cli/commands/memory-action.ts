import type { Memory, MemoryKind } from '@autonoma/core';
import { userError } from '@autonoma/core';
import type { Command } from 'commander';
import { withApp } from '../app-context.ts';
import { refuseServer, withBackend } from '../remote/connect.ts';
import { processOutput } from '../output.ts';
import { memoryKinds } from './memory-kinds.ts';

const positive = (value: string, flag: string): number => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw userError('invalid_input', `${flag} must be a positive integer, got '${value}'`);
  return parsed;
};

const kindOf = (value: string | undefined): MemoryKind | undefined => {
  if (value === undefined) return undefined;
  const kind = memoryKinds.find((candidate) => candidate === value);
  if (!kind)
    throw userError('invalid_input', `unknown memory kind '${value}'; one of ${memoryKinds.join(', ')}`);
  return kind;
};

const oneLine = (text: string, max = 90): string => {
  const flat = text.replace(/\s*\n\s*/g, ' · ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

const memoryLine = (memory: Pick<Memory, 'id' | 'kind' | 'importance' | 'text'>): string =>
  `${memory.id}  ${memory.kind.padEnd(7)} importance ${memory.importance.toFixed(2)}  ${oneLine(memory.text)}`;

/** `autonoma memory list [--agent A] [--kind K] [--limit N] [--json]`. */
export async function listMemories(
  flags: { agent?: string; kind?: string; limit: string; json?: boolean },
  command: Command,
): Promise<void> {
  const limit = positive(flags.limit, '--limit');
  const kind = kindOf(flags.kind);
  await withBackend(command, async (backend) => {
    const list = await backend.memories.list({
      limit,
      ...(flags.agent ? { agent: flags.agent } : {}),
      ...(kind ? { kind } : {}),
    });
    if (flags.json) processOutput.out(JSON.stringify(list));
    else if (list.length === 0) processOutput.out('no memories');
    else for (const item of list) processOutput.out(memoryLine(item));
  });
}

/** `autonoma memory search <query...> [--agent A] [--limit N] [--json]`: recall, with each score's parts. */
export async function searchMemories(
  words: string[],
  flags: { agent?: string; limit: string; json?: boolean },
  command: Command,
): Promise<void> {
  const text = words.join(' ').trim();
  if (!text) throw userError('invalid_input', 'the search query is empty');
  const limit = positive(flags.limit, '--limit');
  await withBackend(command, async (backend) => {
    const found = await backend.memories.search({
      ...(flags.agent ? { agent: flags.agent } : {}),
      text,
      limit,
    });
    if (flags.json) {
      processOutput.out(JSON.stringify(found));
      return;
    }
    if (found.length === 0) processOutput.out('no memories match');
    for (const item of found)
      processOutput.out(
        `${item.score.toFixed(3)} = relevance ${item.relevance.toFixed(2)} · recency ${item.recency.toFixed(2)} · importance ${item.importance.toFixed(2)}  ${memoryLine(item.memory)}`,
      );
  });
}

/** `autonoma memory delete <memoryId>`. */
export async function deleteMemory(memoryId: string, _flags: unknown, command: Command): Promise<void> {
  await withBackend(command, async (backend) => {
    await backend.memories.delete(memoryId);
    processOutput.out(`deleted ${memoryId}`);
  });
}

/** `autonoma memory refresh`: the learning-refresh job, once, now. */
export async function refreshMemory(
  flags: { similarity: string; staleDays: string; json?: boolean },
  command: Command,
): Promise<void> {
  const similarity = Number(flags.similarity);
  if (!(similarity > 0 && similarity <= 1))
    throw userError('invalid_input', `--similarity must be in (0, 1], got '${flags.similarity}'`);
  const staleDays = positive(flags.staleDays, '--stale-days');
  refuseServer(command, 'memory refresh (the learning-refresh job)');
  await withApp(command, async (app) => {
    const report = await app.services.memories.refresh(app.localScope, {
      similarity,
      staleAfterMs: staleDays * 24 * 60 * 60 * 1000,
    });
    if (flags.json) {
      processOutput.out(JSON.stringify(report));
      return;
    }
    for (const agent of report.stats) {
      processOutput.out(
        `statistics: agent ${agent.agentId}: ${agent.trials} trials (${agent.successes} succeeded) of ${agent.actions} actions over ${agent.signatures} goal signature(s)`,
      );
      for (const row of agent.top)
        processOutput.out(
          `  ${row.action.padEnd(24)} ${String(row.trials).padStart(5)} trials  ${(row.successRate * 100).toFixed(0).padStart(3)}% ok  mean reward ${row.meanReward.toFixed(2)}`,
        );
    }
    processOutput.out(
      `plans: ${report.plans.total} reusable (${report.plans.unreliable} fail more often than they succeed)`,
    );
    processOutput.out(
      `memories: ${report.memoriesBefore} → ${report.memoriesAfter}; merged ${report.merged.deleted} near-duplicate(s) into ${report.merged.groups}; decayed ${report.decayed}, deleted ${report.deletedByDecay} faded`,
    );
  });
}
