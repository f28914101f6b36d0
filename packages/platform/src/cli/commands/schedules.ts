import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.ts';

const actions = () => import('./schedules-action.ts');

/** `autonoma schedules add|list|pause|resume|delete`. */
export function registerSchedules(program: Command): void {
  const schedules = program
    .command('schedules')
    .description('cron goals: each slot of a schedule starts one run (fired by `serve` and `worker`)');
  schedules
    .command('add')
    .description('add a schedule')
    .argument('[goal...]', 'the goal, in words')
    .requiredOption('--cron <expression>', "cron expression, e.g. '*/5 * * * *' (6 fields: seconds first)")
    .option('--tz <zone>', 'IANA time zone the expression is read in (default: the local time zone)')
    .option('--agent <name>', 'agent of the runs (default: the default agent)')
    .option('--priority <priority>', 'critical, high, normal or low', 'normal')
    .option('--json', 'print the schedule as JSON')
    .action(lazyAction(actions, 'addSchedule'));
  schedules
    .command('list')
    .description('list schedules, oldest first')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'listSchedules'));
  schedules
    .command('pause')
    .description('stop firing a schedule (slots passing meanwhile are not fired later)')
    .argument('<id>')
    .action(lazyAction(actions, 'pauseSchedule'));
  schedules
    .command('resume')
    .description('fire a paused schedule again, from its next slot')
    .argument('<id>')
    .action(lazyAction(actions, 'resumeSchedule'));
  schedules
    .command('delete')
    .description('delete a schedule (its runs stay)')
    .argument('<id>')
    .action(lazyAction(actions, 'deleteSchedule'));
}
