import type { AuditLog, AuditRecord, Scope } from '@autonoma/core';

/** The audit log of the caller's organization: read and verify; nothing edits or deletes it. */
export class AuditService {
  readonly #audit: AuditLog;

  constructor(audit: AuditLog) {
    this.#audit = audit;
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
