/**
 * The people of an organization, for administrators: create, list, change, delete. Nobody grants a
 * role above their own or changes someone who outranks them, and an organization always keeps an
 * enabled owner. Disabling a user, or changing its password, ends its sessions at once.
 */
import type {
  AuditLog,
  Clock,
  IdGenerator,
  Role,
  Scope,
  SessionStore,
  User,
  UserStore,
} from '@autonoma/core';
import { AutonomaError, conflict, notFound, roleAtLeast } from '@autonoma/core';
import { z } from 'zod';
import type { PasswordHasher } from '../security/passwords.ts';
import { checkNewPassword } from '../security/passwords.ts';
import type { Caller, RequestOrigin } from './caller.ts';
import { originDetail } from './caller.ts';

/** What the user service needs. */
export interface UserServiceDeps {
  users: UserStore;
  sessions: SessionStore;
  audit: AuditLog;
  passwords: PasswordHasher;
  clock: Clock;
  ids: IdGenerator;
}

/** A new user. */
export interface NewUserInput {
  email: string;
  password: string;
  role: Role;
}

/** A change to a user; absent fields stay. */
export interface UserUpdate {
  role?: Role;
  disabled?: boolean;
  password?: string;
}

const Email = z.email().max(320);

/** An email as stored: trimmed, lower-case; `invalid_input` when it is not an address. */
export function normalizeEmail(email: string, field = 'body.email'): string {
  const normalized = email.trim().toLowerCase();
  if (!Email.safeParse(normalized).success)
    throw new AutonomaError('invalid_input', `${field}: not an email address`, { category: 'user' });
  return normalized;
}

const forbidden = (message: string): AutonomaError =>
  new AutonomaError('forbidden', message, { category: 'user' });

/** Users of the caller's organization. */
export class UserService {
  readonly #deps: UserServiceDeps;

  constructor(deps: UserServiceDeps) {
    this.#deps = deps;
  }

  /** Creates a user with a role no higher than the caller's; `conflict` when the email is taken. */
  async create(caller: Caller, input: NewUserInput, origin?: RequestOrigin): Promise<User> {
    const deps = this.#deps;
    const email = normalizeEmail(input.email);
    checkNewPassword(input.password);
    if (!roleAtLeast(caller.role, input.role))
      throw forbidden(`a ${caller.role} cannot create a user with role ${input.role}`);
    const now = deps.clock.now();
    const user = await deps.users.create({
      id: deps.ids.next('usr'),
      orgId: caller.scope.orgId,
      email,
      passwordHash: await deps.passwords.hash(input.password),
      role: input.role,
      now,
    });
    if (!user) throw conflict('email_taken', `a user with email '${email}' already exists`);
    await this.#audit(caller.scope, 'user.create', user.id, {
      email,
      role: user.role,
      ...originDetail(origin),
    });
    return user;
  }

  /** The organization's users, oldest first. */
  list(scope: Scope): Promise<User[]> {
    return this.#deps.users.list(scope.orgId);
  }

  /** A user of the organization, or `not_found`. */
  async get(scope: Scope, id: string): Promise<User> {
    const user = await this.#deps.users.get(scope.orgId, id);
    if (!user) throw notFound('user', id);
    return user;
  }

  /** Changes a user's role, status or password, within the caller's own rank. */
  async update(caller: Caller, id: string, change: UserUpdate, origin?: RequestOrigin): Promise<User> {
    const deps = this.#deps;
    const user = await this.get(caller.scope, id);
    this.#checkRank(caller, user, change.role);
    if (change.password !== undefined) checkNewPassword(change.password);
    const losesOwner =
      user.role === 'owner' &&
      !user.disabled &&
      ((change.role !== undefined && change.role !== 'owner') || change.disabled === true);
    if (losesOwner) await this.#keepAnOwner(caller.scope);
    const now = deps.clock.now();
    const updated = await deps.users.update(caller.scope.orgId, id, {
      ...(change.role === undefined ? {} : { role: change.role }),
      ...(change.disabled === undefined ? {} : { disabled: change.disabled }),
      ...(change.password === undefined ? {} : { passwordHash: await deps.passwords.hash(change.password) }),
      now,
    });
    if (!updated) throw notFound('user', id);
    // A disabled user, or one whose password changed, keeps no session anywhere.
    if (change.disabled === true || change.password !== undefined)
      await deps.sessions.revokeForUser(
        caller.scope.orgId,
        id,
        change.disabled === true ? 'disabled' : 'password',
        now,
      );
    await this.#audit(caller.scope, 'user.update', id, {
      ...(change.role === undefined ? {} : { role: change.role }),
      ...(change.disabled === undefined ? {} : { disabled: change.disabled }),
      ...(change.password === undefined ? {} : { password: 'changed' }),
      ...originDetail(origin),
    });
    return updated;
  }

  /** Deletes a user (its sessions go with it). */
  async delete(caller: Caller, id: string, origin?: RequestOrigin): Promise<void> {
    const deps = this.#deps;
    const user = await this.get(caller.scope, id);
    this.#checkRank(caller, user, undefined);
    if (user.role === 'owner' && !user.disabled) await this.#keepAnOwner(caller.scope);
    if (!(await deps.users.delete(caller.scope.orgId, id))) throw notFound('user', id);
    await this.#audit(caller.scope, 'user.delete', id, { email: user.email, ...originDetail(origin) });
  }

  #checkRank(caller: Caller, user: User, newRole: Role | undefined): void {
    if (!roleAtLeast(caller.role, user.role))
      throw forbidden(`a ${caller.role} cannot change a user with role ${user.role}`);
    if (newRole !== undefined && !roleAtLeast(caller.role, newRole))
      throw forbidden(`a ${caller.role} cannot grant role ${newRole}`);
  }

  async #keepAnOwner(scope: Scope): Promise<void> {
    if ((await this.#deps.users.countOwners(scope.orgId)) <= 1)
      throw conflict('last_owner', 'the organization must keep at least one enabled owner');
  }

  async #audit(scope: Scope, action: string, target: string, detail: Record<string, unknown>): Promise<void> {
    await this.#deps.audit.append({
      orgId: scope.orgId,
      actor: scope.actor,
      action,
      target,
      detail,
      at: this.#deps.clock.now(),
    });
  }
}
