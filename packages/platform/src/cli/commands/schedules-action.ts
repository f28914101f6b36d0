import type { Command } from 'commander';
import type { CreateScheduleBody, ScheduleView } from '../../api/views/schedules.ts';
import type { NewScheduleInput } from '../../services/schedule-service.ts';
import { checkSchedule } from '../../services/schedule-service.ts';
import type { SchedulesBackend } from '../remote/backend.ts';
import { withBackend } from '../remote/connect.ts';
import { processOutput } from '../output.ts';

/**
 * What the schedules commands do, whoever does it: the embedded store's services, or a server's API
 * (`--server`, or the control socket of the process holding the store) — the same output either way.
 */
interface Schedules extends SchedulesBackend {
  /** Agent names by id, to show schedules by agent name. */
  agentNames(): Promise<Map<string, string>>;
}

/** Reaches the schedules of the caller for one command (see `withBackend`). */
function withSchedules<T>(command: Command, action: (schedules: Schedules) => Promise<T>): Promise<T> {
  return withBackend(command, (backend) =>
    action({
      ...backend.schedules,
      agentNames: async () => new Map((await backend.agents.list()).map((agent) => [agent.id, agent.name])),
    }),
  );
}

/** `2025-03-30 03:30:00` in the schedule's zone. */
const wallTime = (ms: number, timeZone: string): string =>
  new Intl.DateTimeFormat('sv-SE', { timeZone, dateStyle: 'short', timeStyle: 'medium' }).format(ms);

const nextRun = (schedule: ScheduleView): string =>
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
  const checked = await checkSchedule(input);
  const body: CreateScheduleBody = {
    goal: checked.goal.text,
    cron: checked.cron,
    timeZone: checked.timeZone,
    priority: checked.priority,
    ...(flags.agent === undefined ? {} : { agent: flags.agent }),
  };
  await withSchedules(command, async (schedules) => {
    const schedule = await schedules.create(body);
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
