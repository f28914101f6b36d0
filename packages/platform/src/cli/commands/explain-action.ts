import type { Command } from 'commander';
import { withBackend } from '../remote/connect.ts';
import { processOutput } from '../output.ts';
import { renderExplanation } from '../render-explanation.ts';

/** `autonoma explain <runId> [--json]`: prints the decision trace of a run. */
export async function printExplanation(
  runId: string,
  flags: { json?: boolean },
  command: Command,
): Promise<void> {
  await withBackend(command, async (backend) => {
    const explanation = await backend.runs.explain(runId);
    if (flags.json) processOutput.out(JSON.stringify(explanation));
    else for (const line of renderExplanation(explanation)) processOutput.out(line);
  });
}
