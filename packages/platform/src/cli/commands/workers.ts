import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

const actions = () => import('./workers-action.ts');

/** `autonoma workers list`. */
export function registerWorkers(program: Command): void {
  const workers = program.command('workers').description('the worker fleet: registrations and heartbeats');
  workers
    .command('list')
    .description('live workers (with --all, recently stopped ones too)')
    .option('--all', 'include stopped workers')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'listWorkers'));
}
