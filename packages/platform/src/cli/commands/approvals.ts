import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

const actions = () => import('./approvals-action.ts');

/** `autonoma approve <runId> <callId>` and `autonoma deny <runId> <callId> [--reason R]`. */
export function registerApprovals(program: Command): void {
  program
    .command('approve')
    .description('approve a tool call a run is waiting on')
    .argument('<runId>')
    .argument('<callId>')
    .action(lazyAction(actions, 'approveCall'));
  program
    .command('deny')
    .description('deny a tool call a run is waiting on; the brain sees the denial')
    .argument('<runId>')
    .argument('<callId>')
    .option('--reason <text>', 'why (shown to the brain)')
    .action(lazyAction(actions, 'denyCall'));
}
