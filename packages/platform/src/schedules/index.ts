/** Schedules: cron slots and the scheduler loop any process may run (see docs/schedules.md). */
export { checkCron, checkTimeZone, latestSlot, nextSlot, type CronSpec } from './cron.ts';
export {
  defaultSchedulerIntervalMs,
  startScheduler,
  type Scheduler,
  type SchedulerOptions,
} from './scheduler.ts';
