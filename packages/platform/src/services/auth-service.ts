/**
 * Sign-in and the credentials of every request. Login checks a password (argon2id) under a throttle
 * per account and per client address, and opens a session: a short-lived access JWT naming it, and a
 * refresh token that rotates at every use. A refresh token presented twice revokes its whole session;
 * logout revokes it; a disabled user's tokens stop working at their next request. API keys are looked
 * up by hash. Every sign-in, failed or not, is in the audit log.
 */
import type {
  AuditLog,
  Clock,
  IdGenerator,
  LoginThrottleStore,
  Role,
  Scope,
  SessionStore,
  ThrottlePolicy,
  ApiKeyStore,
  UserStore,
} from '@autonoma/core';
import { AutonomaError, defaultOrgId } from '@autonoma/core';
import type { AccessTokens } from '../security/jwt.ts';
import { looksLikeApiKey, looksLikeRefreshToken, newSecret, secretHash } from '../security/credentials.ts';
import type { PasswordHasher } from '../security/passwords.ts';
import { passwordLength } from '../security/passwords.ts';
import type { RequestOrigin } from './caller.ts';
import { originDetail } from './caller.ts';

/** Lifetimes and throttles of sign-in. */
export interface AuthSettings {
  /** @default 15 minutes */
  accessTtlMs: number;
  /** A session's refresh tokens work this long after login. @default 30 days */
  sessionTtlMs: number;
  /** Failed sign-ins of one account. @default 10 per 15 minutes, then locked for 15 minutes */
  accountThrottle: ThrottlePolicy;
  /** Failed sign-ins from one client address. @default 100 per 15 minutes, then locked for 15 minutes */
  addressThrottle: ThrottlePolicy;
}

const minute = 60_000;

/** The defaults of {@link AuthSettings}. */
export const defaultAuthSettings: AuthSettings = {
  accessTtlMs: 15 * minute,
  sessionTtlMs: 30 * 24 * 60 * minute,
  accountThrottle: { limit: 10, windowMs: 15 * minute, lockMs: 15 * minute },
  addressThrottle: { limit: 100, windowMs: 15 * minute, lockMs: 15 * minute },
};

/** What the auth service needs. */
export interface AuthServiceDeps {
  users: UserStore;
  apiKeys: ApiKeyStore;
  sessions: SessionStore;
  throttle: LoginThrottleStore;
  audit: AuditLog;
  passwords: PasswordHasher;
  /** Signs access tokens; absent where no signing key is configured (sign-in is then off). */
  accessTokens: AccessTokens | undefined;
  clock: Clock;
  ids: IdGenerator;
  settings?: Partial<AuthSettings>;
}

/** What a login or a refresh answers (ARCHITECTURE §8). */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Seconds the access token is valid. */
  expiresIn: number;
}

/** The credential a request was authenticated with. */
export type Credential =
  | { kind: 'user'; userId: string; sessionId: string }
  | { kind: 'api-key'; keyId: string }
  | { kind: 'local' };

/** An authenticated caller: the scope every service call gets, its role, and its credential. */
export interface Authenticated {
  scope: Scope;
  role: Role;
  credential: Credential;
}

/** One answer for every refused sign-in: an unknown account and a wrong password look the same. */
export const invalidCredentials = (): AutonomaError =>
  new AutonomaError('invalid_credentials', 'the email or password is incorrect', {
    category: 'user',
    status: 401,
  });

const unauthorized = (message: string): AutonomaError =>
  new AutonomaError('unauthorized', message, { category: 'user' });

/** A 429 that tells when to come back. */
export const rateLimited = (message: string, retryAfterMs: number): AutonomaError =>
  new AutonomaError('rate_limited', message, {
    category: 'user',
    details: { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) },
  });

/** How often an API key's last use is written. */
const keyTouchIntervalMs = minute;

/** Sign-in, sessions, and the authentication of tokens and API keys. */
export class AuthService {
  readonly #deps: AuthServiceDeps;
  readonly #settings: AuthSettings;

  constructor(deps: AuthServiceDeps) {
    this.#deps = deps;
    this.#settings = { ...defaultAuthSettings, ...deps.settings };
  }

  /** True when this server can sign people in (it has a signing key). */
  get signInEnabled(): boolean {
    return this.#deps.accessTokens !== undefined;
  }

  /**
   * Signs in with an email and a password. Refused sign-ins throw `invalid_credentials` (401), the
   * same for every reason; while the account or the address is locked, `rate_limited` (429) with the
   * time left, without the password even being checked.
   */
  async login(input: { email: string; password: string }, origin: RequestOrigin = {}): Promise<TokenPair> {
    const deps = this.#deps;
    const tokens = this.#tokens();
    const email = input.email.trim().toLowerCase();
    const accountKey = `account:${email}`;
    const throttles: [string, ThrottlePolicy][] = [
      [accountKey, this.#settings.accountThrottle],
      ...(origin.ip ? [[`ip:${origin.ip}`, this.#settings.addressThrottle] as [string, ThrottlePolicy]] : []),
    ];
    const now = deps.clock.now();
    const records = await deps.throttle.get(throttles.map(([key]) => key));
    const lockedUntil = Math.max(0, ...[...records.values()].map((record) => record.lockedUntil ?? 0));
    const user = await deps.users.findByEmail(email);
    const auditIn = user?.orgId ?? defaultOrgId;
    const target = user ? user.id : `email:${email}`;
    if (lockedUntil > now) {
      await this.#audit(auditIn, 'anonymous', 'auth.login_throttled', target, {
        email,
        lockedUntil,
        ...originDetail(origin),
      });
      throw rateLimited('too many failed sign-ins; try again later', lockedUntil - now);
    }
    // Over-long input is refused after the same work as any other failure.
    const password = input.password.length > passwordLength.max ? '' : input.password;
    const matches = user
      ? await deps.passwords.verify(user.passwordHash, password)
      : await deps.passwords.verifyNothing(password);
    if (!user || !matches || user.disabled) {
      for (const [key, policy] of throttles) await deps.throttle.fail(key, policy, now);
      await this.#audit(auditIn, 'anonymous', 'auth.login_failed', target, {
        email,
        reason: !user ? 'unknown_account' : !matches ? 'wrong_password' : 'disabled',
        ...originDetail(origin),
      });
      throw invalidCredentials();
    }
    // The address's count is kept: signing in to one's own account must not reset guesses at others.
    await deps.throttle.clear(accountKey);
    const sessionId = deps.ids.next('ses');
    const refreshToken = newSecret('rt');
    await deps.sessions.start({
      id: sessionId,
      orgId: user.orgId,
      userId: user.id,
      expiresAt: now + this.#settings.sessionTtlMs,
      token: { id: deps.ids.next('rtk'), hash: secretHash(refreshToken) },
      now,
    });
    await this.#audit(user.orgId, `user:${user.id}`, 'auth.login', user.id, {
      sessionId,
      ...originDetail(origin),
    });
    return {
      accessToken: this.#accessToken(tokens, user.orgId, user.id, sessionId),
      refreshToken,
      expiresIn: this.#expiresIn(),
    };
  }

  /**
   * Spends a refresh token for a new pair. A token already spent revokes its session (whoever holds
   * the family may be a thief) and is refused, as is an unknown, expired or revoked one (401).
   */
  async refresh(refreshToken: string, origin: RequestOrigin = {}): Promise<TokenPair> {
    const deps = this.#deps;
    const tokens = this.#tokens();
    if (!looksLikeRefreshToken(refreshToken)) throw unauthorized('the refresh token was not accepted');
    const now = deps.clock.now();
    const next = newSecret('rt');
    const result = await deps.sessions.rotate(
      secretHash(refreshToken),
      { id: deps.ids.next('rtk'), hash: secretHash(next) },
      now,
    );
    if (result.outcome === 'reused') {
      await this.#audit(
        result.session.orgId,
        `user:${result.session.userId}`,
        'auth.refresh_reused',
        result.session.id,
        {
          ...originDetail(origin),
        },
      );
      throw unauthorized('the refresh token was already used; its session is revoked');
    }
    if (result.outcome === 'invalid') throw unauthorized('the refresh token was not accepted');
    const { session } = result;
    const user = await deps.users.get(session.orgId, session.userId);
    if (!user || user.disabled) {
      await deps.sessions.revoke(session.id, 'disabled', now);
      throw unauthorized('the refresh token was not accepted');
    }
    return {
      accessToken: this.#accessToken(tokens, user.orgId, user.id, session.id),
      refreshToken: next,
      expiresIn: this.#expiresIn(),
    };
  }

  /** Ends the caller's session (its refresh and access tokens); nothing for other credentials. */
  async logout(caller: Authenticated, origin: RequestOrigin = {}): Promise<void> {
    if (caller.credential.kind !== 'user') return;
    const deps = this.#deps;
    const revoked = await deps.sessions.revoke(caller.credential.sessionId, 'logout', deps.clock.now());
    if (revoked)
      await this.#audit(caller.scope.orgId, caller.scope.actor, 'auth.logout', caller.credential.sessionId, {
        ...originDetail(origin),
      });
  }

  /**
   * The caller an access token names, checked against the store: its session must be open and its
   * user enabled, so logout and disabling take effect at once. Throws `unauthorized` otherwise.
   */
  async authenticateAccessToken(token: string): Promise<Authenticated> {
    const deps = this.#deps;
    const claims = deps.accessTokens?.verify(token, deps.clock.now());
    if (!claims) throw unauthorized('the access token was not accepted');
    const [session, user] = await Promise.all([
      deps.sessions.get(claims.sid),
      deps.users.get(claims.org, claims.sub),
    ]);
    if (
      !session ||
      session.revokedAt !== null ||
      session.userId !== claims.sub ||
      session.orgId !== claims.org ||
      !user ||
      user.disabled
    )
      throw unauthorized('the access token was not accepted');
    return {
      scope: { orgId: user.orgId, actor: `user:${user.id}` },
      role: user.role,
      credential: { kind: 'user', userId: user.id, sessionId: session.id },
    };
  }

  /** The caller an API key names; `unauthorized` for an unknown, revoked or expired key. */
  async authenticateApiKey(key: string): Promise<Authenticated> {
    const deps = this.#deps;
    if (!looksLikeApiKey(key)) throw unauthorized('the API key was not accepted');
    const found = await deps.apiKeys.findByHash(secretHash(key));
    const now = deps.clock.now();
    if (!found || found.revokedAt !== null || (found.expiresAt !== null && found.expiresAt <= now))
      throw unauthorized('the API key was not accepted');
    // Not awaited: the request does not wait for bookkeeping, and a failed write loses only a timestamp.
    // Only when the stored time is stale: a key used on every request costs no statement per request.
    if (found.lastUsedAt === null || found.lastUsedAt <= now - keyTouchIntervalMs)
      deps.apiKeys.touch(found.id, now, keyTouchIntervalMs).catch(() => undefined);
    return {
      scope: { orgId: found.orgId, actor: `key:${found.id}` },
      role: found.role,
      credential: { kind: 'api-key', keyId: found.id },
    };
  }

  #tokens(): AccessTokens {
    const tokens = this.#deps.accessTokens;
    if (!tokens)
      throw new AutonomaError(
        'sign_in_disabled',
        'sign-in is off: this server has no AUTONOMA_JWT_SECRET (API keys still work)',
        { category: 'user', status: 403 },
      );
    return tokens;
  }

  #accessToken(tokens: AccessTokens, orgId: string, userId: string, sessionId: string): string {
    const now = Math.floor(this.#deps.clock.now() / 1000);
    return tokens.sign({
      sub: userId,
      org: orgId,
      sid: sessionId,
      iat: now,
      nbf: now,
      exp: now + Math.floor(this.#settings.accessTtlMs / 1000),
      jti: this.#deps.ids.next('jti'),
    });
  }

  #expiresIn(): number {
    return Math.floor(this.#settings.accessTtlMs / 1000);
  }

  async #audit(
    orgId: string,
    actor: string,
    action: string,
    target: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await this.#deps.audit.append({ orgId, actor, action, target, detail, at: this.#deps.clock.now() });
  }
}
