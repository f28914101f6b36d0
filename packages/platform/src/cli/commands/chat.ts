import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

/** `autonoma chat [--agent A] [--conversation ID] [--workspace DIR]`. */
export function registerChat(program: Command): void {
  program
    .command('chat')
    .description('talk with an agent in a terminal REPL; each message is a turn of a conversation')
    .option('--agent <name>', 'agent of a new conversation (default: the default agent)')
    .option('--conversation <id>', 'resume this conversation')
    .option(
      '--workspace <dir>',
      'directory the tools work in, embedded (default: the current directory); not with --server',
    )
    .action(lazyAction(() => import('./chat-action.ts'), 'chat'));
}
