/**
 * Who may do what through the API: the one permission table. Every `/v1` route names the action it
 * performs (`config: { permission }`); the authentication hook checks the caller's role against this
 * table before the handler runs, and a route that names no action cannot be registered under `/v1`.
 */

/** The roles of ARCHITECTURE §3, most powerful first. */
export const roles = ['owner', 'admin', 'operator', 'viewer'] as const;
/** A role in an organization. */
export type Role = (typeof roles)[number];

const everyone: readonly Role[] = roles;
const operators: readonly Role[] = ['owner', 'admin', 'operator'];
const administrators: readonly Role[] = ['owner', 'admin'];

/**
 * Action → the roles allowed to perform it. Reading is open to every member; running, cancelling and
 * approving are for operators; changing definitions, deleting memories and reading the audit log are
 * for administrators. Resources added later (users, API keys, schedules, jobs…) add their rows here.
 */
export const permissions = {
  'agents:read': everyone,
  'agents:write': administrators,
  'runs:read': everyone,
  'runs:create': operators,
  'runs:cancel': operators,
  'runs:approve': operators,
  'memories:read': everyone,
  'memories:delete': administrators,
  'audit:read': administrators,
  'tools:read': everyone,
} as const satisfies Record<string, readonly Role[]>;

/** An action a route performs. */
export type Action = keyof typeof permissions;

/** True when `role` may perform `action`. */
export function allows(role: Role, action: Action): boolean {
  return permissions[action].includes(role);
}

/** True when `value` names an action of the table. */
export const isAction = (value: unknown): value is Action =>
  typeof value === 'string' && Object.hasOwn(permissions, value);
