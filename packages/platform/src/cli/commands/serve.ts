import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

const actions = () => import('./serve-action.ts');

/** `autonoma serve [--port N] [--host H]`. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the HTTP API (embedded store: also advances its runs)')
    .option('--port <n>', 'TCP port (PORT, default 8080; 0 picks a free one)')
    .option('--host <address>', 'address to listen on (HOST, default 127.0.0.1)')
    .action(lazyAction(actions, 'serve'));
}
