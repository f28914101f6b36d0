import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

const actions = () => import('./jobs-action.ts');

/** `autonoma jobs list|show|retry`. */
export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('the queue: jobs waiting, running and finished');
  jobs
    .command('list')
    .description('jobs, newest first')
    .option('--status <status>', 'only jobs in this state: pending, sent, active, done, failed')
    .option('--kind <kind>', 'only jobs of this kind (agent-run, learning-refresh…)')
    .option('--run <runId>', "only this run's jobs")
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'listJobs'));
  jobs
    .command('show')
    .description('one job: its status, attempts, last error')
    .argument('<jobId>')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'showJob'));
  jobs
    .command('retry')
    .description('run a failed job again, with fresh attempts')
    .argument('<jobId>')
    .action(lazyAction(actions, 'retryJob'));
}
