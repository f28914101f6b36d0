/**
 * Who may do what through the API: the one permission table. Every `/v1` route names the action it
 * performs (`config: { permission }`); the authentication hook checks the caller's role against this
 * table before the handler runs, and a route that names no action cannot be registered under `/v1`.
 */

import type { Role } from '@autonoma/core';
import { roles } from '@autonoma/core';

export { roles, type Role };

const everyone: readonly Role[] = roles;
const operators: readonly Role[] = ['owner', 'admin', 'operator'];
const administrators: readonly Role[] = ['owner', 'admin'];
/** Routes anyone may call, signed in or not (only signing in itself). */
const anonymous = 'anonymous';

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
  'runs:answer': operators,
  'conversations:read': everyone,
  'conversations:write': operators,
  'schedules:read': everyone,
  'schedules:write': operators,
  'jobs:read': operators,
  'jobs:retry': operators,
  'workers:read': operators,
  'memories:read': everyone,
  'memories:delete': administrators,
  'audit:read': administrators,
  'tools:read': everyone,
  'auth:sign-in': anonymous,
  'auth:self': everyone,
  'users:read': administrators,
  'users:write': administrators,
  'api-keys:read': administrators,
  'api-keys:write': administrators,
  'organization:read': administrators,
  'organization:write': administrators,
} as const satisfies Record<string, readonly Role[] | typeof anonymous>;

/** An action a route performs. */
export type Action = keyof typeof permissions;

/** True when `role` may perform `action`. */
export function allows(role: Role, action: Action): boolean {
  const allowed: readonly Role[] | typeof anonymous = permissions[action];
  return allowed === anonymous || allowed.includes(role);
}

/** The roles that may perform `action`: none named for an action that needs no credential. */
export const rolesAllowed = (action: Action): readonly Role[] => {
  const allowed: readonly Role[] | typeof anonymous = permissions[action];
  return allowed === anonymous ? [] : allowed;
};

/** True for an action that needs no credential (signing in, refreshing a session). */
export const isAnonymous = (action: Action): boolean => permissions[action] === anonymous;

/** True when `value` names an action of the table. */
export const isAction = (value: unknown): value is Action =>
  typeof value === 'string' && Object.hasOwn(permissions, value);
