import type { RunStatus } from '@autonoma/core';
import { RunStatus as RunStatusSchema, readRunLog, userError } from '@autonoma/core';
import type { Command } from 'commander';
import { withApp } from '../app-context.ts';
import { processOutput } from '../output.ts';
import { describeEvent, formatUsage } from '../progress.ts';

const time = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

/** `autonoma runs list|show|cancel`. */
export function registerRuns(program: Command): void {
  const runs = program.command('runs').description('list, inspect and cancel runs');
  runs
    .command('list')
    .description('list runs, newest first')
    .option('--status <status>', 'only runs in this state')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .action(async (flags: { status?: string; limit: string; json?: boolean }, command: Command) => {
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
      await withApp(command, async (app) => {
        const list = await app.database.stores.runs.list({
          orgId: app.orgId,
          limit,
          ...(status ? { status: [status] } : {}),
        });
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
    });
  runs
    .command('show')
    .description('show a run and its event log')
    .argument('<runId>')
    .option('--json', 'print JSON')
    .action(async (runId: string, flags: { json?: boolean }, command: Command) => {
      await withApp(command, async (app) => {
        const run = await app.runs.get(runId);
        const events = await readRunLog(app.database.stores.runs, runId);
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
          if (line !== undefined)
            processOutput.out(`${String(event.seq).padStart(4)} ${time(event.at)} ${line}`);
        }
      });
    });
  runs
    .command('cancel')
    .description('cancel a run')
    .argument('<runId>')
    .option('--reason <text>', 'why')
    .action(async (runId: string, flags: { reason?: string }, command: Command) => {
      await withApp(command, async (app) => {
        const run = await app.runs.cancel(runId, flags.reason);
        processOutput.out(`run ${run.id}: ${run.status}`);
      });
    });
}
