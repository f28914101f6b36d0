/** `/healthz` (the process is alive) and `/readyz` (its dependencies answer). Unauthenticated. */
import { z } from 'zod';
import type { ReadinessCheck } from '../readiness.ts';
import { checkReadiness } from '../readiness.ts';
import type { Api } from './route-deps.ts';

const Readiness = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), error: z.string().optional() })),
});

/** The health routes (outside `/v1`: no credentials). */
export function healthRoutes(api: Api, checks: readonly ReadinessCheck[]): void {
  api.get('/healthz', {
    schema: {
      tags: ['health'],
      summary: 'Liveness: the process answers',
      security: [],
      response: { 200: z.object({ status: z.literal('ok') }) },
    },
    handler: async () => ({ status: 'ok' as const }),
  });
  api.get('/readyz', {
    schema: {
      tags: ['health'],
      summary: 'Readiness: the store (and, in a cluster, Redis) answers; 503 names what does not',
      security: [],
      response: { 200: Readiness, 503: Readiness },
    },
    handler: async (_request, reply) => {
      const results = await checkReadiness(checks);
      const ready = results.every((result) => result.ok);
      if (!ready) void reply.header('retry-after', '5');
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: results });
    },
  });
}
