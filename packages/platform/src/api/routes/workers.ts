/** `/v1/workers`: the worker fleet, for operators. */
import { z } from 'zod';
import { scopeOf } from '../auth.ts';
import { errorResponses, limitQuery } from '../views/common.ts';
import { WorkerView, toWorkerView } from '../views/workers.ts';
import type { ApiRoutes } from './route-deps.ts';

/** The worker routes. */
export const workerRoutes: ApiRoutes = (api, { services }) => {
  api.get('/workers', {
    config: { permission: 'workers:read' },
    schema: {
      tags: ['workers'],
      summary: 'List the worker processes, newest first',
      description:
        'Workers serve every organization: the list is the deployment’s. `alive` is false for a worker ' +
        'whose heartbeat stopped.',
      querystring: z.strictObject({
        all: z
          .enum(['true', 'false'])
          .optional()
          .describe('include recently stopped workers (default false)'),
        limit: limitQuery(100, 1000),
      }),
      response: { 200: z.object({ items: z.array(WorkerView) }), ...errorResponses },
    },
    handler: async (request) => {
      const { all, limit } = request.query;
      const workers = await services.workers.list(scopeOf(request), {
        includeStopped: all === 'true',
        limit,
      });
      return { items: workers.map(toWorkerView) };
    },
  });
};
