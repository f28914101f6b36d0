import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

const actions = () => import('./run-action.ts');

/** `autonoma run <goal> [--agent A] [--json]` and `autonoma resume <runId>`. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run an agent on a goal until it ends (embedded store by default)')
    .argument('[goal...]', 'the goal, in words')
    .option('--agent <name>', 'agent to run (default: the default agent)')
    .option('--spec <file>', 'a goal spec (JSON or YAML): { goal?, facts, inputs }')
    .option('--workspace <dir>', 'directory the tools work in (default: the current directory)')
    .option('--max-steps <n>', 'step budget for this run')
    .option('--json', 'print the result as JSON')
    .action(lazyAction(actions, 'runGoal'));

  program
    .command('resume')
    .description('resume an interrupted run')
    .argument('<runId>', 'the run to resume')
    .option('--json', 'print the result as JSON')
    .action(lazyAction(actions, 'resumeRun'));
}
