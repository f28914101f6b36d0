import type { AuditLog, AuditRecord, Clock, Scope } from '@autonoma/core';
import { systemClock } from '@autonoma/core';

/** The audit log of the caller's organization: read, verify and append; nothing edits or deletes it. */
export class AuditService {
  readonly #audit: AuditLog;
  readonly #clock: Clock;

  constructor(audit: AuditLog, clock: Clock = systemClock) {
    this.#audit = audit;
    this.#clock = clock;
  }

  /** Appends an entry by the caller, in its organization, now (what the API audits itself: denials, requests). */
  record(
    scope: Scope,
    entry: { action: string; target: string; detail: Record<string, unknown> },
  ): Promise<AuditRecord> {
    return this.#audit.append({ orgId: scope.orgId, actor: scope.actor, ...entry, at: this.#clock.now() });
  }

  /** Entries in order, after `afterId`. */
  list(
    scope: Scope,
    filter: { action?: string; target?: string; limit?: number; afterId?: number } = {},
  ): Promise<AuditRecord[]> {
    return this.#audit.list({ ...filter, orgId: scope.orgId });
  }

  /** Recomputes the hash chain: `{ intact: true }`, or the first broken entry. */
  async verify(scope: Scope): Promise<{ intact: boolean; brokenAt: number | null }> {
    const brokenAt = await this.#audit.verify(scope.orgId);
    return { intact: brokenAt === null, brokenAt };
  }
}
