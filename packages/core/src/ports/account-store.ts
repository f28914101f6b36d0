/**
 * Accounts (ARCHITECTURE §3, §8): the people of an organization, its API keys, the sign-in sessions
 * whose refresh tokens rotate, and the counters that throttle failed sign-ins. Only hashes of
 * passwords, keys and tokens are stored; the ports never see a secret in the clear.
 */

/** The roles of an organization, most powerful first. */
export const roles = ['owner', 'admin', 'operator', 'viewer'] as const;
/** A role in an organization. */
export type Role = (typeof roles)[number];

/** True when `role` is at least as powerful as `other` (an owner outranks everyone). */
export const roleAtLeast = (role: Role, other: Role): boolean => roles.indexOf(role) <= roles.indexOf(other);

/** A person who signs in. */
export interface User {
  id: string;
  orgId: string;
  /** Lower-case; unique across organizations (sign-in is by email alone). */
  email: string;
  role: Role;
  /** A disabled user cannot sign in, and the tokens it holds stop working. */
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** A user with its password hash: read only by sign-in. */
export interface UserCredentials extends User {
  passwordHash: string;
}

/** Input to create a user. */
export interface NewUser {
  id: string;
  orgId: string;
  email: string;
  passwordHash: string;
  role: Role;
  now: number;
}

/** A change to a user; absent fields stay as they are. */
export interface UserChange {
  role?: Role;
  disabled?: boolean;
  passwordHash?: string;
  now: number;
}

/** Users. Every read and write names the organization, except sign-in's lookup by email. */
export interface UserStore {
  /** Creates the user; undefined when the email is taken (in any organization). */
  create(user: NewUser): Promise<User | undefined>;
  get(orgId: string, id: string): Promise<User | undefined>;
  /** The user with this (lower-case) email, whatever its organization, with its password hash. */
  findByEmail(email: string): Promise<UserCredentials | undefined>;
  /** The organization's users, oldest first. */
  list(orgId: string): Promise<User[]>;
  update(orgId: string, id: string, change: UserChange): Promise<User | undefined>;
  delete(orgId: string, id: string): Promise<boolean>;
  /** Enabled owners of the organization (the last one cannot be removed). */
  countOwners(orgId: string): Promise<number>;
}

/** An API key (`ak_…`): a credential of an organization with a fixed role. */
export interface ApiKey {
  id: string;
  orgId: string;
  name: string;
  /** The key's first characters, shown to tell keys apart (never enough to use it). */
  prefix: string;
  role: Role;
  /** The user who created it, when it was a user. */
  createdBy: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
}

/** Input to create an API key: only the key's hash is stored. */
export interface NewApiKey {
  id: string;
  orgId: string;
  name: string;
  prefix: string;
  keyHash: string;
  role: Role;
  createdBy: string | null;
  expiresAt: number | null;
  now: number;
}

/** API keys. */
export interface ApiKeyStore {
  create(key: NewApiKey): Promise<ApiKey>;
  /** The key with this hash, whatever its organization (revoked and expired ones included). */
  findByHash(keyHash: string): Promise<ApiKey | undefined>;
  /** The organization's keys, oldest first. */
  list(orgId: string): Promise<ApiKey[]>;
  /** Revokes a key (once: a revoked key keeps its first revocation time); undefined when unknown. */
  revoke(orgId: string, id: string, now: number): Promise<ApiKey | undefined>;
  /** Records a use, at most once per `minIntervalMs` (no write per request). */
  touch(id: string, now: number, minIntervalMs: number): Promise<void>;
}

/**
 * A sign-in session: what one login started. Its refresh tokens form one rotation chain (a *family*);
 * its access tokens name it, so revoking the session ends them all.
 */
export interface Session {
  id: string;
  orgId: string;
  userId: string;
  createdAt: number;
  /** No refresh after this time. */
  expiresAt: number;
  revokedAt: number | null;
  /** Why it was revoked: `logout`, `reuse` (a rotated refresh token came back), `disabled`… */
  revokedReason: string | null;
}

/** Input to start a session with its first refresh token. */
export interface NewSession {
  id: string;
  orgId: string;
  userId: string;
  expiresAt: number;
  /** The first refresh token: its id and hash. */
  token: { id: string; hash: string };
  now: number;
}

/**
 * The outcome of presenting a refresh token: `rotated` (the token is spent, `next` is the current one),
 * `reused` (the token was already spent: the whole session is revoked now), or `invalid` (unknown, or
 * its session is revoked or expired).
 */
export type RefreshOutcome =
  | { outcome: 'rotated'; session: Session }
  | { outcome: 'reused'; session: Session }
  | { outcome: 'invalid'; session?: Session };

/** Sessions and their rotating refresh tokens. */
export interface SessionStore {
  start(session: NewSession): Promise<Session>;
  get(id: string): Promise<Session | undefined>;
  /**
   * Spends the refresh token with hash `hash` and makes `next` the session's current token, in one
   * step: of two presentations of one token, exactly one rotates and the other revokes the session.
   */
  rotate(hash: string, next: { id: string; hash: string }, now: number): Promise<RefreshOutcome>;
  /** Revokes a session; false when it was unknown or already revoked. */
  revoke(id: string, reason: string, now: number): Promise<boolean>;
  /** Revokes every open session of a user; returns how many. */
  revokeForUser(orgId: string, userId: string, reason: string, now: number): Promise<number>;
}

/** Failed sign-ins counted under one key (`account:<email>`, `ip:<address>`). */
export interface ThrottleRecord {
  failures: number;
  windowStartedAt: number;
  /** Sign-in under this key is refused until then. */
  lockedUntil: number | null;
}

/** How failures count: `limit` failures within `windowMs` lock the key for `lockMs`. */
export interface ThrottlePolicy {
  limit: number;
  windowMs: number;
  lockMs: number;
}

/** Counters of failed sign-ins, shared by every replica (they live in the store). */
export interface LoginThrottleStore {
  /** The records of `keys` (absent keys have none). */
  get(keys: readonly string[]): Promise<Map<string, ThrottleRecord>>;
  /**
   * Counts one failure under `key` in one atomic step: a window that has passed starts again at 1;
   * reaching `policy.limit` locks the key for `policy.lockMs` from `now`.
   */
  fail(key: string, policy: ThrottlePolicy, now: number): Promise<ThrottleRecord>;
  /** Forgets a key's failures (after a successful sign-in). */
  clear(key: string): Promise<void>;
}

/** Counts an organization's runs that hold capacity: the quota on runs queued or running. */
export interface RunQuotaStore {
  /** Runs of the organization that are `queued` or `running`. */
  activeRuns(orgId: string): Promise<number>;
}
