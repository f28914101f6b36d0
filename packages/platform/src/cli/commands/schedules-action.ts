import type { Schedule } from '@autonoma/core';
import type { Command } from 'commander';
import type { NewScheduleInput } from '../../services/schedule-service.ts';
import { checkSchedule } from '../../services/schedule-service.ts';
import { withApp } from '../app-context.ts';
import { processOutput } from '../output.ts';

/**
 * What the schedules commands do, whoever does it: the embedded store's services today; a server's
 * API behind `--server` has the same shape.
 */
interface Schedules {
  create(input: NewScheduleInput): Promise<Schedule>;
  list(): Promise<Schedule[]>;
  pause(id: string): Promise<Schedule>;
  resume(id: string): Promise<Schedule>;
  delete(id: string): Promise<void>;
  /** Agent names by id, to show schedules by agent name. */
  agentNames(): Promise<Map<string, string>>;
}

/** Opens the schedules of the local scope for one command. */
function withSchedules<T>(command: Command, action: (schedules: Schedules) => Promise<T>): Promise<T> {
  return withApp(command, (app) => {
    const service = app.services.schedules;
    const scope = app.localScope;
    return action({
      create: (input) => service.create(scope, input),
      list: () => service.list(scope),
      pause: (id) => service.pause(scope, id),
      resume: (id) => service.resume(scope, id),
      delete: (id) => service.delete(scope, id),
      agentNames: async () =>
        new Map((await app.services.agents.list(scope)).map((agent) => [agent.id, agent.name])),
    });
  });
}

/** `2025-03-30 03:30:00` in the schedule's zone. */
const wallTime = (ms: number, timeZone: string): string =>
  new Intl.DateTimeFormat('sv-SE', { timeZone, dateStyle: 'short', timeStyle: 'medium' }).format(ms);

const nextRun = (schedule: Schedule): string =>
  schedule.paused
    ? 'paused'
    : schedule.nextFireAt === null
      ? 'no next run'
      : `next ${wallTime(schedule.nextFireAt, schedule.timeZone)}`;

/** `autonoma schedules add --cron C [--tz Z] [--agent A] [--priority P] [--json] <goal…>`. */
export async function addSchedule(
  words: string[],
  flags: { cron: string; tz?: string; agent?: string; priority: string; json?: boolean },
  command: Command,
): Promise<void> {
  const input: NewScheduleInput = {
    goal: words.join(' '),
    cron: flags.cron,
    // A person typing `0 9 * * *` means nine o'clock where they are.
    timeZone: flags.tz ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    priority: flags.priority,
    ...(flags.agent === undefined ? {} : { agent: flags.agent }),
  };
  // Bad input is refused before anything is opened.
  await checkSchedule(input);
  await withSchedules(command, async (schedules) => {
    const schedule = await schedules.create(input);
    if (flags.json) processOutput.out(JSON.stringify(schedule));
    else
      processOutput.out(
        `schedule ${schedule.id} added: '${schedule.cron}' in ${schedule.timeZone} · ${nextRun(schedule)}`,
      );
  });
}

/** `autonoma schedules list [--json]`. */
export async function listSchedules(flags: { json?: boolean }, command: Command): Promise<void> {
  await withSchedules(command, async (schedules) => {
    const list = await schedules.list();
    if (flags.json) {
      processOutput.out(JSON.stringify(list));
      return;
    }
    if (list.length === 0) processOutput.out('no schedules');
    const names = list.length === 0 ? new Map<string, string>() : await schedules.agentNames();
    for (const schedule of list) {
      const agent = names.get(schedule.agentId) ?? schedule.agentId;
      const error = schedule.lastError === null ? '' : `  last error: ${schedule.lastError}`;
      processOutput.out(
        `${schedule.id}  '${schedule.cron}' ${schedule.timeZone}  ${nextRun(schedule)}  agent ${agent}  ${schedule.priority}  ${schedule.goal.text.slice(0, 60)}${error}`,
      );
    }
  });
}

/** `autonoma schedules pause <id>`. */
export async function pauseSchedule(id: string, _flags: unknown, command: Command): Promise<void> {
  await withSchedules(command, async (schedules) => {
    const schedule = await schedules.pause(id);
    processOutput.out(`schedule ${schedule.id} paused`);
  });
}

/** `autonoma schedules resume <id>`. */
export async function resumeSchedule(id: string, _flags: unknown, command: Command): Promise<void> {
  await withSchedules(command, async (schedules) => {
    const schedule = await schedules.resume(id);
    processOutput.out(`schedule ${schedule.id} resumed · ${nextRun(schedule)} ${schedule.timeZone}`);
  });
}

/** `autonoma schedules delete <id>`. */
export async function deleteSchedule(id: string, _flags: unknown, command: Command): Promise<void> {
  await withSchedules(command, async (schedules) => {
    await schedules.delete(id);
    processOutput.out(`schedule ${id} deleted`);
  });
}
