/**
 * A server with real accounts for the security suites: two organizations (`alpha`, the embedded
 * default one, and `beta`), a user of every role in alpha and an owner in beta, each signed in through
 * `POST /v1/auth/login`, and API keys. Its clock is the wall clock plus an offset the tests move, so
 * token expiry and sign-in cooldowns are tested without waiting.
 */
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock, Role } from '@autonoma/core';
import { defaultOrgId, systemClock } from '@autonoma/core';
import type { Authenticator } from '../../src/api/auth.ts';
import { accountAuthenticator } from '../../src/api/auth.ts';
import type { Api } from '../../src/api/routes/route-deps.ts';
import type { ApiServerOptions } from '../../src/api/server.ts';
import { createApiServer } from '../../src/api/server.ts';
import type { App } from '../../src/app.ts';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createPasswordHasher } from '../../src/security/passwords.ts';
import type { TokenPair } from '../../src/services/index.ts';
import { createDatabase } from '../../src/store/database.ts';
import { createTestDatabase } from '../support/postgres.ts';

/** The wall clock, moved forward by the tests. */
export class OffsetClock implements Clock {
  offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return systemClock.sleep(ms, signal);
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

/** The people of the harness: a user of each role in alpha, and beta's owner (`stranger`). */
export type Person = 'owner' | 'admin' | 'operator' | 'viewer' | 'stranger';

/** A signed-in person. */
export interface Account {
  email: string;
  password: string;
  userId: string;
  orgId: string;
  role: Role;
  tokens: TokenPair;
}

/** The harness. */
export interface SecureHarness {
  app: App;
  api: Api;
  clock: OffsetClock;
  orgs: { alpha: string; beta: string };
  people: Record<Person, Account>;
  /** API keys (`ak_…`) of alpha: one operator, one viewer; and beta's owner key. */
  keys: { operator: string; viewer: string; stranger: string };
  /** `authorization` header with a person's access token, or an API key. */
  as(who: Person | `key:${'operator' | 'viewer' | 'stranger'}`): { authorization: string };
  /** Signs a person in again (a fresh pair). */
  login(who: Person, headers?: Record<string, string>): Promise<TokenPair>;
  /** Listens on 127.0.0.1 (once); the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** Options of {@link startSecureApi}. */
export interface SecureHarnessOptions {
  store?: 'pglite' | 'postgres';
  /** Configuration environment (limits, CORS, proxy hops…). */
  env?: Record<string, string>;
  server?: Partial<ApiServerOptions>;
  /** Authenticators tried before the accounts' (e.g. a local control token). */
  authenticators?: Authenticator[];
}

const roleOf: Record<Person, Role> = {
  owner: 'owner',
  admin: 'admin',
  operator: 'operator',
  viewer: 'viewer',
  stranger: 'owner',
};

/** Builds the harness. The sign-in limits are the defaults unless `env` says otherwise. */
export async function startSecureApi(options: SecureHarnessOptions = {}): Promise<SecureHarness> {
  const cwd = mkdtempSync(join(tmpdir(), 'autonoma-security-'));
  let database: { url: string; drop: () => Promise<void> } | undefined;
  if (options.store === 'postgres') {
    database = await createTestDatabase('autonoma_security');
    const migrating = await createDatabase({ kind: 'postgres', url: database.url });
    await migrating.migrate();
    await migrating.close();
  }
  const { config } = loadConfig({
    env: {
      AUTONOMA_HOME: join(cwd, 'home'),
      ...(database ? { DATABASE_URL: database.url, AUTONOMA_JWT_SECRET: 'j'.repeat(48) } : {}),
      ...options.env,
    },
    cwd,
  });
  const clock = new OffsetClock();
  const app = await createApp(config, {
    cwd,
    inMemory: options.store !== 'postgres',
    clock,
    // argon2id all the same, at a cost that keeps a suite of many sign-ins quick.
    passwords: createPasswordHasher({ memoryKib: 1024, passes: 1 }),
  });
  const orgs = { alpha: defaultOrgId, beta: 'org_beta' };
  await app.database.stores.organizations.ensure({ id: orgs.beta, name: 'Beta', createdAt: clock.now() });
  for (const orgId of Object.values(orgs)) await app.services.agents.ensureDefault({ orgId, actor: 'test' });
  const api = await createApiServer(app, {
    authenticators: [...(options.authenticators ?? []), accountAuthenticator(app.services.auth)],
    ...options.server,
  });
  await api.ready();

  const people = {} as Record<Person, Account>;
  const login = async (who: Person, headers: Record<string, string> = {}): Promise<TokenPair> => {
    const person = people[who];
    const response = await api.inject({
      method: 'POST',
      url: '/v1/auth/login',
      headers,
      payload: { email: person.email, password: person.password },
    });
    if (response.statusCode !== 200)
      throw new Error(`login of ${who}: ${response.statusCode} ${response.body}`);
    return response.json<TokenPair>();
  };
  for (const who of Object.keys(roleOf) as Person[]) {
    const orgId = who === 'stranger' ? orgs.beta : orgs.alpha;
    const email = `${who}@example.org`;
    const password = `${who}-correct-horse-battery`;
    const user = await app.services.users.create(
      { scope: { orgId, actor: 'test' }, role: 'owner' },
      { email, password, role: roleOf[who] },
    );
    people[who] = { email, password, userId: user.id, orgId, role: roleOf[who], tokens: undefined as never };
    people[who].tokens = await login(who);
  }
  const keyOf = async (orgId: string, role: Role): Promise<string> =>
    (
      await app.services.apiKeys.create(
        { scope: { orgId, actor: 'test' }, role: 'owner' },
        { name: `${role} key`, role },
      )
    ).key;
  const keys = {
    operator: await keyOf(orgs.alpha, 'operator'),
    viewer: await keyOf(orgs.alpha, 'viewer'),
    stranger: await keyOf(orgs.beta, 'owner'),
  };
  let base: string | undefined;
  return {
    app,
    api,
    clock,
    orgs,
    people,
    keys,
    as: (who) => ({
      authorization: `Bearer ${
        who.startsWith('key:')
          ? keys[who.slice(4) as keyof typeof keys]
          : people[who as Person].tokens.accessToken
      }`,
    }),
    login,
    async listen() {
      if (base === undefined) {
        await api.listen({ port: 0, host: '127.0.0.1' });
        base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
      }
      return base;
    },
    async close() {
      await api.close();
      await app.close();
      await database?.drop();
    },
  };
}

/** Throws unless `body` is the API's error shape with no stack trace, SQL or file path in it. */
export function expectCleanError(body: string): { code: string; message: string; requestId: string } {
  const parsed = JSON.parse(body) as { error?: { code: string; message: string; requestId: string } };
  if (!parsed.error || Object.keys(parsed).length !== 1) throw new Error(`not an error body: ${body}`);
  if (/\bat .+:\d+:\d+|node_modules|\.ts:\d+|SELECT |INSERT |UPDATE |SQLSTATE|syntax error/.test(body))
    throw new Error(`error body leaks internals: ${body}`);
  return parsed.error;
}
