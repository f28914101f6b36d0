/** How schedules look through the API and in the CLI's `--json` output. */
import type { Schedule } from '@autonoma/core';
import { GoalSpec, Priority, maxGoalLength } from '@autonoma/core';
import { z } from 'zod';

const time = z.number().describe('milliseconds since the epoch, UTC');

/** A schedule: a cron expression read in a time zone, a goal and an agent. */
export const ScheduleView = z
  .object({
    id: z.string(),
    agentId: z.string(),
    goal: z.object({ text: z.string(), spec: GoalSpec.optional() }),
    cron: z.string(),
    timeZone: z.string().describe('IANA time zone the expression is read in'),
    priority: Priority,
    paused: z.boolean(),
    createdAt: time,
    updatedAt: time,
    nextFireAt: time.nullable().describe('the next slot; null when paused or when none is left'),
    lastFiredSlot: time.nullable(),
    lastError: z.string().nullable().describe('why the last fired slot created no run'),
  })
  .meta({ id: 'Schedule' });
/** A schedule as clients see it. */
export type ScheduleView = z.infer<typeof ScheduleView>;

/** The client view of a schedule. */
export function toScheduleView(schedule: Schedule): ScheduleView {
  const { orgId: _orgId, ...view } = schedule;
  return ScheduleView.parse(view);
}

/** `POST /v1/schedules`. */
export const CreateScheduleBody = z
  .strictObject({
    goal: z.string().min(1).max(maxGoalLength).describe('the goal of each run'),
    spec: GoalSpec.optional(),
    cron: z
      .string()
      .min(1)
      .max(200)
      .describe('five fields (minute hour day-of-month month day-of-week), six with seconds, or `@daily`…'),
    timeZone: z.string().min(1).max(100).optional().describe('IANA name (default UTC)'),
    agent: z.string().min(1).max(200).optional().describe('agent name or id (default: the default agent)'),
    priority: Priority.optional(),
  })
  .meta({ id: 'CreateSchedule' });
/** A create-schedule request. */
export type CreateScheduleBody = z.infer<typeof CreateScheduleBody>;
