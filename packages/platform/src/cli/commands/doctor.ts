import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

/** `autonoma doctor`: configuration with sources (secrets masked), store, migrations, Redis. */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'check configuration, store, migrations and Redis; non-zero exit when something required is broken',
    )
    .action(lazyAction(() => import('./doctor-action.ts'), 'diagnose'));
}
