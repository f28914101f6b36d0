import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

const actions = () => import('./organization-action.ts');

/** `autonoma organization show|set`. */
export function registerOrganization(program: Command): void {
  const organization = program
    .command('organization')
    .description('your organization and its settings (owners and administrators)');
  organization
    .command('show')
    .description('the organization, its settings and the values in force')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'showOrganization'));
  organization
    .command('set')
    .description('change settings; those not given are kept')
    .option(
      '--max-runs-in-flight <n>',
      "cap on the organization's runs in flight (a positive integer), or 'default' for AUTONOMA_ORG_MAX_RUNS",
    )
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'setOrganization'));
}
