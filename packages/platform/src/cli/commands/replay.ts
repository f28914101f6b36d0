import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

/** `autonoma replay <runId> [--json]`: re-runs the recorded decisions without models or tools. */
export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('re-run a run’s recorded decisions without calling models or tools, and verify the outcome')
    .argument('<runId>', 'the run to replay')
    .option('--json', 'print JSON')
    .action(lazyAction(() => import('./replay-action.ts'), 'printReplay'));
}
