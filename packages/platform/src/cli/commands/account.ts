import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

const actions = () => import('./account-action.ts');

/**
 * `autonoma login --server URL`, `autonoma logout`, `autonoma user create`. Passwords are read from a
 * terminal prompt (not echoed) or from standard input (`--password-stdin`), never from argv.
 */
export function registerAccount(program: Command): void {
  program
    .command('login')
    .description('sign in to a server (--server URL or AUTONOMA_SERVER); the session is kept in a 0600 file')
    .option('--email <email>', 'the account (asked for on a terminal when missing)')
    .option('--password-stdin', 'read the password from standard input')
    .action(lazyAction(actions, 'login'));
  program
    .command('logout')
    .description('end the session with a server and forget its tokens')
    .action(lazyAction(actions, 'logout'));
  const user = program.command('user').description("the organization's users");
  user
    .command('create')
    .description('create a user: in the embedded store, or on a server as an administrator (--server)')
    .requiredOption('--email <email>', 'the new user’s email')
    .option('--role <role>', 'owner, admin, operator or viewer', 'viewer')
    .option('--password-stdin', 'read the password from standard input')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'createUser'));
}
