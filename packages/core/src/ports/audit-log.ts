/** An audit entry as written by callers. */
export interface AuditEntry {
  orgId: string;
  /** Who: a user id, an API key id, `system` or `cli`. */
  actor: string;
  /** What: `tool.denied`, `tool.call`, `approval.resolve`, `login`, … */
  action: string;
  /** On what: a run id, a tool call key, a user id… */
  target: string;
  detail: Record<string, unknown>;
  at: number;
}

/** An audit record as stored: hash-chained to the previous one. */
export interface AuditRecord extends AuditEntry {
  id: number;
  prevHash: string;
  hash: string;
}

/** Append-only, hash-chained audit log. */
export interface AuditLog {
  append(entry: AuditEntry): Promise<AuditRecord>;
  list(filter: {
    orgId: string;
    action?: string;
    target?: string;
    limit?: number;
    afterId?: number;
  }): Promise<AuditRecord[]>;
  /** Recomputes the chain; returns the id of the first broken record, or null when intact. */
  verify(orgId: string): Promise<number | null>;
}

/** Key-value settings (e.g. the generated JWT secret). */
export interface SettingsStore {
  get(key: string): Promise<string | undefined>;
  /** Sets the key only when absent; returns the value that is stored afterwards. */
  setIfAbsent(key: string, value: string): Promise<string>;
  set(key: string, value: string): Promise<void>;
}

/** An organization (tenant). */
export interface Organization {
  id: string;
  name: string;
  createdAt: number;
}

/** Organizations. */
export interface OrganizationStore {
  /** Creates the organization unless it exists; returns it as stored. */
  ensure(organization: Organization): Promise<Organization>;
  get(id: string): Promise<Organization | undefined>;
}
