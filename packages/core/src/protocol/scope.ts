/**
 * Who acts, for which organization: every command a service runs is given one. Interfaces (CLI, API,
 * workers) build it from who is signed in; services never take an organization id on their own.
 */
export interface Scope {
  readonly orgId: string;
  /** `user:<id>`, `key:<id>`, `cli`, `worker:<id>`, `system`… — recorded in the audit log. */
  readonly actor: string;
}
