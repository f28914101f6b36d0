import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

const actions = () => import('./audit-action.ts');

/** `autonoma audit list|verify`. */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('read and verify the hash-chained audit log');
  audit
    .command('list')
    .description('list audit entries, oldest first')
    .option('--action <action>', 'only this action (run.cancel, approval.approve, agent.put…)')
    .option('--target <id>', 'only entries about this run, call, agent…')
    .option('--after <id>', 'entries after this one')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'listAudit'));
  audit
    .command('verify')
    .description('recompute the hash chain; exit 1 when an entry does not verify')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'verifyAudit'));
}
