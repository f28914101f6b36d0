/** `/v1/jobs`: the organization's jobs (list, get, retry), for operators. */
import { z } from 'zod';
import { scopeOf } from '../auth.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { cursorQuery, errorResponses, limitQuery, page, pathId } from '../views/common.ts';
import { JobStatus, JobView, toJobView } from '../views/jobs.ts';
import type { ApiRoutes } from './route-deps.ts';

const JobParams = z.strictObject({ id: pathId.describe('job id') });

/** The job routes. */
export const jobRoutes: ApiRoutes = (api, { services, onRunnable }) => {
  const jobs = services.jobs;
  const tags = ['jobs'];

  api.get('/jobs', {
    config: { permission: 'jobs:read' },
    schema: {
      tags,
      summary: 'List jobs, newest first',
      querystring: z.strictObject({
        status: JobStatus.optional(),
        kind: z.string().min(1).max(100).optional(),
        runId: z.string().min(1).max(200).optional().describe("only this run's jobs"),
        limit: limitQuery(20, 1000),
        cursor: cursorQuery,
      }),
      response: { 200: page(JobView), ...errorResponses },
    },
    handler: async (request) => {
      const { status, kind, runId, limit, cursor } = request.query;
      const found = await jobs.list(scopeOf(request), {
        limit: limit + 1,
        ...(status ? { status: [status] } : {}),
        ...(kind ? { kind } : {}),
        ...(runId ? { runId } : {}),
        ...(cursor ? { before: decodeCursor('jobs', cursor, 'string') } : {}),
      });
      const items = found.slice(0, limit);
      const last = items.at(-1);
      return {
        items: items.map(toJobView),
        nextCursor: found.length > limit && last ? encodeCursor('jobs', last.id) : null,
      };
    },
  });

  api.get('/jobs/:id', {
    config: { permission: 'jobs:read' },
    schema: {
      tags,
      summary: 'Get a job',
      params: JobParams,
      response: { 200: JobView, ...errorResponses },
    },
    handler: async (request) => toJobView(await jobs.get(scopeOf(request), request.params.id)),
  });

  api.post('/jobs/:id/retry', {
    config: { permission: 'jobs:retry' },
    schema: {
      tags,
      summary: 'Run a finished (failed or done) job again, with fresh attempts',
      description:
        '409 `job_not_finished` for a job still waiting or running; 409 `job_pending` when a job with ' +
        'its key already waits. Retrying an `agent-run` job never reopens a run that ended.',
      params: JobParams,
      response: { 200: JobView, ...errorResponses },
    },
    handler: async (request) => {
      const scope = scopeOf(request);
      const job = await jobs.retry(scope, request.params.id);
      // The embedded server's advancer looks for runnable runs at once.
      if (job.runId) {
        const run = await services.runs.get(scope, job.runId).catch(() => undefined);
        if (run) onRunnable(run);
      }
      return toJobView(job);
    },
  });
};
