import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

/** `autonoma explain <runId> [--json]`: the decision trace of a run. */
export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('show why a run did what it did: options, scores, choices, plans, recalls, calls, lessons')
    .argument('<runId>', 'the run to explain')
    .option('--json', 'print JSON')
    .action(lazyAction(() => import('./explain-action.ts'), 'printExplanation'));
}
