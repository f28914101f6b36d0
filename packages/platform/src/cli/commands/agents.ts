import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

const actions = () => import('./agents-action.ts');

/** `autonoma agents list|show|create|delete`. */
export function registerAgents(program: Command): void {
  const agents = program.command('agents').description('manage agent definitions');
  agents.command('list').option('--json', 'print JSON').action(lazyAction(actions, 'listAgents'));
  agents.command('show').argument('<name>').action(lazyAction(actions, 'showAgent'));
  agents
    .command('create')
    .description('create or replace an agent from a JSON or YAML file')
    .requiredOption('--file <path>', 'agent definition')
    .action(lazyAction(actions, 'createAgent'));
  agents.command('delete').argument('<name>').action(lazyAction(actions, 'deleteAgent'));
}
