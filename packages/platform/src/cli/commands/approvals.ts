import type { Command } from 'commander';
import { withApp } from '../app-context.ts';
import { processOutput } from '../output.ts';

/** `autonoma approve <runId> <callId>` and `autonoma deny <runId> <callId> [--reason R]`. */
export function registerApprovals(program: Command): void {
  const resolveCall =
    (approved: boolean) =>
    async (runId: string, callId: string, flags: { reason?: string }, command: Command) => {
      await withApp(command, async (app) => {
        const { run, changed } = await app.runs.resolveApproval(runId, callId, approved, flags.reason, 'cli');
        if (!changed) {
          processOutput.out(
            `call ${callId} was already resolved; nothing changed (run ${run.id}: ${run.status})`,
          );
          return;
        }
        processOutput.out(
          `${approved ? 'approved' : 'denied'} ${callId}; run ${run.id} is ${run.status} — continue it with 'autonoma resume ${run.id}'`,
        );
      });
    };
  program
    .command('approve')
    .description('approve a tool call a run is waiting on')
    .argument('<runId>')
    .argument('<callId>')
    .action(resolveCall(true));
  program
    .command('deny')
    .description('deny a tool call a run is waiting on; the brain sees the denial')
    .argument('<runId>')
    .argument('<callId>')
    .option('--reason <text>', 'why (shown to the brain)')
    .action(resolveCall(false));
}
