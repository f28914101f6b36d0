import type { RunStatus } from '@autonoma/core';
import { RunStatus as RunStatusSchema, userError } from '@autonoma/core';
import type { Command } from 'commander';
import { withBackend } from '../remote/connect.ts';
import { processOutput } from '../output.ts';
import { describeEvent, formatUsage } from '../progress.ts';
import { loadRunTree, renderRunTree } from '../run-tree.ts';

const time = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

/** `autonoma runs list [--status S] [--limit N] [--json]`. */
export async function listRuns(
  flags: { status?: string; limit: string; json?: boolean },
  command: Command,
): Promise<void> {
  let status: RunStatus | undefined;
  if (flags.status !== undefined) {
    const parsed = RunStatusSchema.safeParse(flags.status);
    if (!parsed.success)
      throw userError(
        'invalid_input',
        `unknown run status '${flags.status}'; one of ${RunStatusSchema.options.join(', ')}`,
      );
    status = parsed.data;
  }
  const limit = Number(flags.limit);
  if (!Number.isInteger(limit) || limit <= 0)
    throw userError('invalid_input', `--limit must be a positive integer, got '${flags.limit}'`);
  await withBackend(command, async (backend) => {
    const list = await backend.runs.list({ limit, ...(status ? { status: [status] } : {}) });
    if (flags.json) {
      processOutput.out(JSON.stringify(list));
      return;
    }
    if (list.length === 0) processOutput.out('no runs');
    for (const run of list) {
      processOutput.out(
        `${run.id}  ${run.status.padEnd(16)} ${time(run.createdAt)}  ${run.usage.steps} steps  ${run.goal.text.slice(0, 60)}`,
      );
    }
  });
}

/** `autonoma runs show <runId> [--tree] [--json]`. */
export async function showRun(
  runId: string,
  flags: { json?: boolean; tree?: boolean },
  command: Command,
): Promise<void> {
  await withBackend(command, async (backend) => {
    if (flags.tree) {
      const tree = await loadRunTree(backend, runId);
      if (flags.json) processOutput.out(JSON.stringify(tree));
      else for (const line of renderRunTree(tree)) processOutput.out(line);
      return;
    }
    const run = await backend.runs.get(runId);
    const events = await backend.runs.events(runId);
    if (flags.json) {
      processOutput.out(JSON.stringify({ run, events }));
      return;
    }
    processOutput.out(`run ${run.id} · ${run.status} · ${formatUsage(run.usage)}`);
    processOutput.out(`goal: ${run.goal.text}`);
    if (run.answer) processOutput.out(`answer: ${run.answer}`);
    if (run.reason) processOutput.out(`reason: ${run.reason}`);
    processOutput.out(`workspace: ${run.workspace}`);
    processOutput.out('events:');
    for (const event of events) {
      const line = describeEvent(event);
      if (line !== undefined) processOutput.out(`${String(event.seq).padStart(4)} ${time(event.at)} ${line}`);
    }
  });
}

/** `autonoma runs cancel <runId> [--reason R]`. */
export async function cancelRun(runId: string, flags: { reason?: string }, command: Command): Promise<void> {
  await withBackend(command, async (backend) => {
    const run = await backend.runs.cancel(runId, flags.reason);
    processOutput.out(`run ${run.id}: ${run.status}`);
  });
}
