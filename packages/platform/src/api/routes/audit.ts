/** `/v1/audit`: the organization's hash-chained audit log, read and verified; nothing edits it. */
import { z } from 'zod';
import { scopeOf } from '../auth.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { AuditEntryView, AuditVerification, toAuditEntryView } from '../views/audit.ts';
import { cursorQuery, errorResponses, limitQuery, page } from '../views/common.ts';
import type { ApiRoutes } from './route-deps.ts';

const tags = ['audit'];

/** The audit routes. */
export const auditRoutes: ApiRoutes = (api, { services }) => {
  const audit = services.audit;

  api.get('/audit', {
    config: { permission: 'audit:read' },
    schema: {
      tags,
      summary: 'List audit entries, oldest first',
      querystring: z.strictObject({
        action: z.string().min(1).max(200).optional(),
        target: z.string().min(1).max(500).optional(),
        limit: limitQuery(100, 1000),
        cursor: cursorQuery,
      }),
      response: { 200: page(AuditEntryView), ...errorResponses },
    },
    handler: async (request) => {
      const { action, target, limit, cursor } = request.query;
      const found = await audit.list(scopeOf(request), {
        limit: limit + 1,
        ...(action ? { action } : {}),
        ...(target ? { target } : {}),
        ...(cursor ? { afterId: decodeCursor('audit', cursor, 'number') } : {}),
      });
      const items = found.slice(0, limit);
      const last = items.at(-1);
      return {
        items: items.map(toAuditEntryView),
        nextCursor: found.length > limit && last ? encodeCursor('audit', last.id) : null,
      };
    },
  });

  api.get('/audit/verify', {
    config: { permission: 'audit:read' },
    schema: {
      tags,
      summary: 'Recompute the hash chain',
      response: { 200: AuditVerification, ...errorResponses },
    },
    handler: async (request) => audit.verify(scopeOf(request)),
  });
};
