/** Who calls an account service, and from where: the audit log records both. */
import type { Role, Scope } from '@autonoma/core';

/** A caller with its role: account changes are bounded by it (nobody grants more than they hold). */
export interface Caller {
  scope: Scope;
  role: Role;
}

/** Where a request came from: its client address (for throttling) and its request id (for the audit log). */
export interface RequestOrigin {
  ip?: string;
  requestId?: string;
}

/** The audit `detail` fields of an origin (absent parts left out). */
export const originDetail = (origin: RequestOrigin = {}): Record<string, string> => ({
  ...(origin.requestId === undefined ? {} : { requestId: origin.requestId }),
  ...(origin.ip === undefined ? {} : { ip: origin.ip }),
});
