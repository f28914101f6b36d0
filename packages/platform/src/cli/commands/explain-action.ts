import type { Command } from 'commander';
import { withApp } from '../app-context.ts';
import { processOutput } from '../output.ts';
import { renderExplanation } from '../render-explanation.ts';

/** `autonoma explain <runId> [--json]`: prints the decision trace of a run. */
export async function printExplanation(
  runId: string,
  flags: { json?: boolean },
  command: Command,
): Promise<void> {
  await withApp(command, async (app) => {
    const explanation = await app.services.explain.explain(app.localScope, runId);
    if (flags.json) processOutput.out(JSON.stringify(explanation));
    else for (const line of renderExplanation(explanation)) processOutput.out(line);
  });
}
