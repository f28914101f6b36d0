/**
 * What the API writes to the audit log itself (ARCHITECTURE §8): every denial (403), and every request
 * that changed something (a POST, PUT, PATCH or DELETE answered below 400) — with the actor, the
 * organization, the request id and the time. Services add their own, more specific entries (a run
 * cancelled, an approval); routes whose service already records the request id say `audit: false`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditService } from '../services/index.ts';
import type { Principal } from './auth.ts';

const mutating = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The path of a request, without its query (which may carry anything). */
const pathOf = (request: FastifyRequest): string => (request.url.split('?')[0] ?? '').slice(0, 500);

/** The message of a 403 answer (the API's error shape), for the audit entry. */
function forbiddenReason(payload: unknown): string {
  try {
    const body = JSON.parse(typeof payload === 'string' ? payload : String(payload)) as {
      error?: { message?: unknown };
    };
    if (typeof body.error?.message === 'string') return body.error.message.slice(0, 500);
  } catch {
    // Not JSON: the status says enough.
  }
  return 'forbidden';
}

/** Records a denial: who, what they tried, why. */
export const auditDenial =
  (audit: AuditService) =>
  async (request: FastifyRequest, principal: Principal, reason: string): Promise<void> => {
    await audit.record(principal.scope, {
      action: 'access.denied',
      target: `${request.method} ${pathOf(request)}`,
      detail: {
        reason,
        role: principal.role,
        permission: request.routeOptions.config.permission ?? null,
        requestId: request.id,
        ip: request.ip,
      },
    });
  };

/**
 * Audits every successful mutation of an authenticated caller before its answer leaves (an answer the
 * client saw is in the log), and every denial a service made after the permission table let the
 * request through (an admin granting `owner`, changing someone who outranks them): the table's own
 * denials are audited by the authentication hook. An audit write that fails is logged; the change it
 * describes is done.
 */
export function installRequestAudit(api: FastifyInstance, audit: AuditService): void {
  const denied = auditDenial(audit);
  api.addHook('onSend', async (request, reply, payload) => {
    const principal = request.principal;
    const config = request.routeOptions.config;
    if (principal && reply.statusCode === 403) {
      await denied(request, principal, forbiddenReason(payload)).catch((error: unknown) =>
        request.log.error({ err: error }, 'the audit log refused an entry'),
      );
      return;
    }
    if (!principal || !mutating.has(request.method) || config.audit === false || reply.statusCode >= 400)
      return;
    try {
      await audit.record(principal.scope, {
        action: `api.${String(config.permission ?? 'unknown').replace(':', '.')}`,
        target: pathOf(request),
        detail: {
          method: request.method,
          route: request.routeOptions.url ?? '',
          status: reply.statusCode,
          requestId: request.id,
        },
      });
    } catch (error) {
      request.log.error({ err: error }, 'the audit log refused an entry');
    }
  });
}
