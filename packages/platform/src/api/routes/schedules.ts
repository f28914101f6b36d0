/** `/v1/schedules`: cron goals (create, list, get, pause, resume, delete); docs/schedules.md. */
import { z } from 'zod';
import { scopeOf } from '../auth.ts';
import { errorResponses, pathId } from '../views/common.ts';
import { CreateScheduleBody, ScheduleView, toScheduleView } from '../views/schedules.ts';
import type { ApiRoutes } from './route-deps.ts';

const tags = ['schedules'];
const ScheduleParams = z.strictObject({ id: pathId.describe('schedule id') });

/** The schedule routes. */
export const scheduleRoutes: ApiRoutes = (api, { services }) => {
  const schedules = services.schedules;

  api.post('/schedules', {
    config: { permission: 'schedules:write' },
    schema: {
      tags,
      summary: 'Add a schedule',
      description:
        'Each slot of the cron expression (read in `timeZone`) starts one run of the agent at the goal. ' +
        'An invalid expression, time zone or goal is a 400 naming it; an unknown agent, 404.',
      body: CreateScheduleBody,
      response: { 201: ScheduleView, ...errorResponses },
    },
    handler: async (request, reply) => {
      const { goal, spec, cron, timeZone, agent, priority } = request.body;
      const schedule = await schedules.create(scopeOf(request), {
        goal,
        cron,
        ...(spec ? { spec } : {}),
        ...(timeZone ? { timeZone } : {}),
        ...(agent ? { agent } : {}),
        ...(priority ? { priority } : {}),
      });
      return reply
        .code(201)
        .header('location', `/v1/schedules/${schedule.id}`)
        .send(toScheduleView(schedule));
    },
  });

  api.get('/schedules', {
    config: { permission: 'schedules:read' },
    schema: {
      tags,
      summary: 'List schedules, oldest first',
      response: { 200: z.object({ items: z.array(ScheduleView) }), ...errorResponses },
    },
    handler: async (request) => ({
      items: (await schedules.list(scopeOf(request))).map(toScheduleView),
    }),
  });

  api.get('/schedules/:id', {
    config: { permission: 'schedules:read' },
    schema: {
      tags,
      summary: 'Get a schedule',
      params: ScheduleParams,
      response: { 200: ScheduleView, ...errorResponses },
    },
    handler: async (request) => toScheduleView(await schedules.get(scopeOf(request), request.params.id)),
  });

  api.post('/schedules/:id/pause', {
    config: { permission: 'schedules:write' },
    schema: {
      tags,
      summary: 'Pause a schedule (the slots passing meanwhile are never fired)',
      params: ScheduleParams,
      response: { 200: ScheduleView, ...errorResponses },
    },
    handler: async (request) => toScheduleView(await schedules.pause(scopeOf(request), request.params.id)),
  });

  api.post('/schedules/:id/resume', {
    config: { permission: 'schedules:write' },
    schema: {
      tags,
      summary: 'Resume a schedule from its first slot after now',
      params: ScheduleParams,
      response: { 200: ScheduleView, ...errorResponses },
    },
    handler: async (request) => toScheduleView(await schedules.resume(scopeOf(request), request.params.id)),
  });

  api.delete('/schedules/:id', {
    config: { permission: 'schedules:write' },
    schema: {
      tags,
      summary: 'Delete a schedule (its runs stay)',
      params: ScheduleParams,
      response: { 204: z.undefined(), ...errorResponses },
    },
    handler: async (request, reply) => {
      await schedules.delete(scopeOf(request), request.params.id);
      return reply.code(204).send();
    },
  });
};
