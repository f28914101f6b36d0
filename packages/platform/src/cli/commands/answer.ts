import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

/** `autonoma answer <runId> <text...> [--json]`. */
export function registerAnswer(program: Command): void {
  program
    .command('answer')
    .description('answer the question a run waits on (ask_user), then continue the run to its end')
    .argument('<runId>', 'the run waiting in waiting_input')
    .argument('<text...>', 'the answer, in words')
    .option('--json', 'print the result as JSON')
    .action(lazyAction(() => import('./answer-action.ts'), 'answerRun'));
}
