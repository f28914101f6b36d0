import type {
  ApiKey,
  ApiKeyStore,
  LoginThrottleStore,
  NewApiKey,
  NewSession,
  NewUser,
  RefreshOutcome,
  RunQuotaStore,
  Session,
  SessionStore,
  ThrottlePolicy,
  ThrottleRecord,
  User,
  UserChange,
  UserCredentials,
  UserStore,
} from '../ports/account-store.ts';
import type { RunStore } from '../ports/run-store.ts';
import { copy } from './in-memory-run-store.ts';

const byCreation = <T extends { createdAt: number; id: string }>(a: T, b: T): number =>
  a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const publicUser = ({ passwordHash: _hash, ...user }: UserCredentials): User => copy(user);

/** An in-memory {@link UserStore}: emails unique across organizations, like the SQL store. */
export class InMemoryUserStore implements UserStore {
  readonly #users = new Map<string, UserCredentials>();

  #find(orgId: string, id: string): UserCredentials | undefined {
    const user = this.#users.get(id);
    return user?.orgId === orgId ? user : undefined;
  }

  async create(input: NewUser): Promise<User | undefined> {
    if (this.#users.has(input.id)) throw new Error(`user '${input.id}' already exists`);
    if ([...this.#users.values()].some((user) => user.email === input.email)) return undefined;
    const { now, ...fields } = input;
    const user: UserCredentials = { ...fields, disabled: false, createdAt: now, updatedAt: now };
    this.#users.set(user.id, user);
    return publicUser(user);
  }

  async get(orgId: string, id: string): Promise<User | undefined> {
    const user = this.#find(orgId, id);
    return user && publicUser(user);
  }

  async findByEmail(email: string): Promise<UserCredentials | undefined> {
    return copy([...this.#users.values()].find((user) => user.email === email));
  }

  async list(orgId: string): Promise<User[]> {
    return [...this.#users.values()]
      .filter((user) => user.orgId === orgId)
      .sort(byCreation)
      .map(publicUser);
  }

  async update(orgId: string, id: string, change: UserChange): Promise<User | undefined> {
    const user = this.#find(orgId, id);
    if (!user) return undefined;
    if (change.role !== undefined) user.role = change.role;
    if (change.disabled !== undefined) user.disabled = change.disabled;
    if (change.passwordHash !== undefined) user.passwordHash = change.passwordHash;
    user.updatedAt = change.now;
    return publicUser(user);
  }

  async delete(orgId: string, id: string): Promise<boolean> {
    if (!this.#find(orgId, id)) return false;
    return this.#users.delete(id);
  }

  async countOwners(orgId: string): Promise<number> {
    return [...this.#users.values()].filter(
      (user) => user.orgId === orgId && user.role === 'owner' && !user.disabled,
    ).length;
  }
}

/** An in-memory {@link ApiKeyStore}. */
export class InMemoryApiKeyStore implements ApiKeyStore {
  readonly #keys = new Map<string, ApiKey & { keyHash: string }>();

  async create(input: NewApiKey): Promise<ApiKey> {
    if (this.#keys.has(input.id)) throw new Error(`API key '${input.id}' already exists`);
    const { now, ...fields } = input;
    const key = { ...fields, createdAt: now, lastUsedAt: null, revokedAt: null };
    this.#keys.set(key.id, key);
    return this.#public(key);
  }

  #public({ keyHash: _hash, ...key }: ApiKey & { keyHash: string }): ApiKey {
    return copy(key);
  }

  async findByHash(keyHash: string): Promise<ApiKey | undefined> {
    const key = [...this.#keys.values()].find((candidate) => candidate.keyHash === keyHash);
    return key && this.#public(key);
  }

  async list(orgId: string): Promise<ApiKey[]> {
    return [...this.#keys.values()]
      .filter((key) => key.orgId === orgId)
      .sort(byCreation)
      .map((key) => this.#public(key));
  }

  async revoke(orgId: string, id: string, now: number): Promise<ApiKey | undefined> {
    const key = this.#keys.get(id);
    if (key?.orgId !== orgId) return undefined;
    key.revokedAt ??= now;
    return this.#public(key);
  }

  async touch(id: string, now: number, minIntervalMs: number): Promise<void> {
    const key = this.#keys.get(id);
    if (key && (key.lastUsedAt === null || key.lastUsedAt <= now - minIntervalMs)) key.lastUsedAt = now;
  }
}

/** An in-memory {@link SessionStore} with the SQL store's rotation semantics. */
export class InMemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, Session>();
  /** Refresh token hash → its session and whether it was spent. */
  readonly #tokens = new Map<string, { sessionId: string; spent: boolean }>();

  async start(input: NewSession): Promise<Session> {
    const session: Session = {
      id: input.id,
      orgId: input.orgId,
      userId: input.userId,
      createdAt: input.now,
      expiresAt: input.expiresAt,
      revokedAt: null,
      revokedReason: null,
    };
    this.#sessions.set(session.id, session);
    this.#tokens.set(input.token.hash, { sessionId: session.id, spent: false });
    return copy(session);
  }

  async get(id: string): Promise<Session | undefined> {
    return copy(this.#sessions.get(id));
  }

  async rotate(hash: string, next: { id: string; hash: string }, now: number): Promise<RefreshOutcome> {
    const token = this.#tokens.get(hash);
    const session = token && this.#sessions.get(token.sessionId);
    if (!token || !session) return { outcome: 'invalid' };
    if (session.revokedAt !== null || session.expiresAt <= now)
      return { outcome: 'invalid', session: copy(session) };
    if (token.spent) {
      session.revokedAt = now;
      session.revokedReason = 'reuse';
      return { outcome: 'reused', session: copy(session) };
    }
    token.spent = true;
    this.#tokens.set(next.hash, { sessionId: session.id, spent: false });
    return { outcome: 'rotated', session: copy(session) };
  }

  async revoke(id: string, reason: string, now: number): Promise<boolean> {
    const session = this.#sessions.get(id);
    if (!session || session.revokedAt !== null) return false;
    session.revokedAt = now;
    session.revokedReason = reason;
    return true;
  }

  async revokeForUser(orgId: string, userId: string, reason: string, now: number): Promise<number> {
    let revoked = 0;
    for (const session of this.#sessions.values()) {
      if (session.orgId !== orgId || session.userId !== userId || session.revokedAt !== null) continue;
      session.revokedAt = now;
      session.revokedReason = reason;
      revoked += 1;
    }
    return revoked;
  }
}

/** An in-memory {@link LoginThrottleStore}. */
export class InMemoryLoginThrottle implements LoginThrottleStore {
  readonly #records = new Map<string, ThrottleRecord>();

  async get(keys: readonly string[]): Promise<Map<string, ThrottleRecord>> {
    const found = new Map<string, ThrottleRecord>();
    for (const key of keys) {
      const record = this.#records.get(key);
      if (record) found.set(key, copy(record));
    }
    return found;
  }

  async fail(key: string, policy: ThrottlePolicy, now: number): Promise<ThrottleRecord> {
    const previous = this.#records.get(key);
    const fresh = !previous || previous.windowStartedAt + policy.windowMs <= now;
    const failures = fresh ? 1 : previous.failures + 1;
    const record: ThrottleRecord = {
      failures,
      windowStartedAt: fresh ? now : previous.windowStartedAt,
      lockedUntil: failures >= policy.limit ? now + policy.lockMs : (previous?.lockedUntil ?? null),
    };
    this.#records.set(key, record);
    return copy(record);
  }

  async clear(key: string): Promise<void> {
    this.#records.delete(key);
  }
}

/** A {@link RunQuotaStore} over any run store (the SQL store counts in one query). */
export class InMemoryRunQuota implements RunQuotaStore {
  readonly #runs: RunStore;

  constructor(runs: RunStore) {
    this.#runs = runs;
  }

  async activeRuns(orgId: string): Promise<number> {
    return (await this.#runs.list({ orgId, status: ['queued', 'running'], limit: Number.MAX_SAFE_INTEGER }))
      .length;
  }
}
