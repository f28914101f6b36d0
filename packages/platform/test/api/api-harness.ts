/** An app and its API server for the API suites: on an in-memory PGlite or a fresh PostgreSQL database. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Run } from '@autonoma/core';
import { defaultOrgId } from '@autonoma/core';
import type { Principal } from '../../src/api/auth.ts';
import { localOwner, tokenAuthenticator } from '../../src/api/auth.ts';
import type { Api } from '../../src/api/routes/route-deps.ts';
import type { ApiServerOptions } from '../../src/api/server.ts';
import { createApiServer } from '../../src/api/server.ts';
import type { App } from '../../src/app.ts';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createDatabase } from '../../src/store/database.ts';
import { createTestDatabase } from '../support/postgres.ts';

/** The stores the API suites run against. */
export type StoreName = 'pglite' | 'postgres';

/** Bearer tokens of the test principals. */
export const tokens = {
  owner: 'owner-token',
  viewer: 'viewer-token',
  /** An owner of another organization. */
  stranger: 'stranger-token',
} as const;

const principals: Record<keyof typeof tokens, Principal> = {
  owner: localOwner('test'),
  viewer: { scope: { orgId: defaultOrgId, actor: 'viewer' }, role: 'viewer' },
  stranger: { scope: { orgId: 'org_stranger', actor: 'stranger' }, role: 'owner' },
};

/** `authorization` headers of each principal. */
export const as = (who: keyof typeof tokens): { authorization: string } => ({
  authorization: `Bearer ${tokens[who]}`,
});

/** An app with its API. */
export interface ApiHarness {
  app: App;
  api: Api;
  /** Runs the API said became runnable. */
  runnable: Run[];
  close(): Promise<void>;
}

/** Options of {@link startApi}. */
export interface HarnessOptions {
  /** Environment of the app's configuration (a model, for instance). */
  env?: Record<string, string>;
  /** A database URL to use instead of a fresh one (postgres). */
  databaseUrl?: string;
  server?: Partial<ApiServerOptions>;
}

/** Builds an app on `store` and its API with the test principals. */
export async function startApi(store: StoreName, options: HarnessOptions = {}): Promise<ApiHarness> {
  const cwd = mkdtempSync(join(tmpdir(), 'autonoma-api-'));
  let database: { url: string; drop: () => Promise<void> } | undefined;
  let databaseUrl = options.databaseUrl;
  if (store === 'postgres' && databaseUrl === undefined) {
    database = await createTestDatabase('autonoma_api');
    const migrating = await createDatabase({ kind: 'postgres', url: database.url });
    await migrating.migrate();
    await migrating.close();
    databaseUrl = database.url;
  }
  const { config } = loadConfig({
    env: {
      AUTONOMA_HOME: join(cwd, 'home'),
      ...options.env,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    },
    cwd,
  });
  const app = await createApp(config, { cwd, inMemory: store === 'pglite' });
  await app.services.agents.ensureDefault(app.localScope);
  const runnable: Run[] = [];
  const api = await createApiServer(app, {
    authenticators: Object.entries(tokens).map(([who, token]) =>
      tokenAuthenticator(token, principals[who as keyof typeof tokens]),
    ),
    onRunnable: (run) => void runnable.push(run),
    ...options.server,
  });
  await api.ready();
  return {
    app,
    api,
    runnable,
    close: async () => {
      await api.close();
      await app.close();
      await database?.drop();
    },
  };
}

/** The text of an error body, checked for the API's shape; never a stack trace or SQL. */
export function expectErrorShape(body: string): { code: string; message: string; requestId: string } {
  const parsed = JSON.parse(body) as { error?: Record<string, unknown> };
  const error = parsed.error;
  if (!error || Object.keys(parsed).length !== 1) throw new Error(`not an error body: ${body}`);
  const keys = Object.keys(error).sort();
  if (keys.join(',') !== 'code,message,requestId') throw new Error(`error keys ${keys.join(',')}: ${body}`);
  if (/\bat .+:\d+:\d+|node_modules|\.ts:\d+|SELECT |INSERT |UPDATE |SQLSTATE/.test(body))
    throw new Error(`error body leaks internals: ${body}`);
  return error as { code: string; message: string; requestId: string };
}
