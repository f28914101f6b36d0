import type { Command } from 'commander';
import { withApp } from '../app-context.ts';
import { processOutput } from '../output.ts';
import { refuseServer } from '../remote/connect.ts';

/** `autonoma replay <runId> [--json]`: re-runs the recorded decisions without models or tools. */
export async function printReplay(runId: string, flags: { json?: boolean }, command: Command): Promise<void> {
  refuseServer(command, 'replay');
  await withApp(command, async (app) => {
    const report = await app.services.replay.replay(app.localScope, runId);
    if (flags.json) processOutput.out(JSON.stringify(report));
    else if (report.matches)
      processOutput.out(
        `replay matches: ${report.steps} steps, ${report.toolCalls} tool calls, status ${report.status}`,
      );
    else processOutput.err(`replay diverges: ${report.divergence ?? 'unknown difference'}`);
    if (!report.matches) process.exitCode = 1;
  });
}
