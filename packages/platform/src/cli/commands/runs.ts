import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

const actions = () => import('./runs-action.ts');

/** `autonoma runs list|show|cancel`. */
export function registerRuns(program: Command): void {
  const runs = program.command('runs').description('list, inspect and cancel runs');
  runs
    .command('list')
    .description('list runs, newest first')
    .option('--status <status>', 'only runs in this state')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'listRuns'));
  runs
    .command('show')
    .description('show a run and its event log')
    .argument('<runId>')
    .option('--tree', 'show the run and the runs it delegated to (and theirs), as a tree')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'showRun'));
  runs
    .command('cancel')
    .description('cancel a run')
    .argument('<runId>')
    .option('--reason <text>', 'why')
    .action(lazyAction(actions, 'cancelRun'));
}
