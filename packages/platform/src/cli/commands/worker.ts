import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

const actions = () => import('./worker-action.ts');

/** `autonoma worker [--queues critical,high] [--concurrency N]`. */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('consume jobs: advance runs a slice at a time; SIGTERM drains (default: every queue)')
    .option(
      '--queues <list>',
      'queues to serve, comma-separated: critical,high,normal,low (AUTONOMA_WORKER_QUEUES)',
    )
    .option('--concurrency <n>', 'slices in flight at once (AUTONOMA_WORKER_CONCURRENCY, default 10)')
    .action(lazyAction(actions, 'runWorker'));
}
