/**
 * `POST /v1/runs` under concurrency, on PGlite and PostgreSQL: creates are group-committed (the quota,
 * the run, its job and its audit entry in one transaction shared by concurrent creates), and that keeps
 * every guarantee — one run per Idempotency-Key however many duplicates race, a quota that no burst
 * passes (also across two apps on one database), an audit entry per create in a chain that verifies,
 * and one create's failure not failing the others of its batch.
 */
import type { Run } from '@autonoma/core';
import { defaultOrgId } from '@autonoma/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/api/auth.ts';
import { tokenAuthenticator } from '../../src/api/auth.ts';
import type { Api } from '../../src/api/routes/route-deps.ts';
import type { App } from '../../src/app.ts';
import { createDatabase } from '../../src/store/database.ts';
import { sql } from '../../src/store/sql.ts';
import { createTestDatabase } from '../support/postgres.ts';
import type { ApiHarness, StoreName } from './api-harness.ts';
import { expectErrorShape, startApi } from './api-harness.ts';

/** Each organization's quota of runs queued or running, in these suites. */
const quota = 12;

const principal = (orgId: string, actor: string): Principal => ({
  scope: { orgId, actor },
  role: 'owner',
});
const principals = {
  alpha: principal(defaultOrgId, 'alpha'),
  beta: principal('org_beta', 'beta'),
  gamma: principal('org_gamma', 'gamma'),
} as const;
type Who = keyof typeof principals;
const authenticators = Object.entries(principals).map(([who, found]) =>
  tokenAuthenticator(`${who}-token`, found),
);

/** Makes the organizations of the test principals, each with its default agent. */
async function ensureOrgs(app: App): Promise<void> {
  for (const { scope } of Object.values(principals)) {
    await app.database.executor.execute(
      sql`INSERT INTO organizations (id, name, created_at) VALUES (${scope.orgId}, ${scope.orgId}, 0)
          ON CONFLICT DO NOTHING`,
    );
    await app.services.agents.ensureDefault(scope);
  }
}

const create = (api: Api, who: Who, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  api.inject({
    method: 'POST',
    url: '/v1/runs',
    headers: { authorization: `Bearer ${who}-token`, ...headers },
    payload: body,
  });

const get = async (api: Api, who: Who, url: string): Promise<unknown> =>
  (await api.inject({ url, headers: { authorization: `Bearer ${who}-token` } })).json();

/** The organization's `api.runs.create` audit entries, and whether its chain verifies. */
async function auditOf(api: Api, who: Who) {
  const listed = (await get(api, who, '/v1/audit?limit=1000')) as {
    items: { action: string; detail: { runId?: string; status?: number; requestId?: string } }[];
  };
  return {
    creates: listed.items.filter((entry) => entry.action === 'api.runs.create'),
    verify: await get(api, who, '/v1/audit/verify'),
  };
}

describe.each<StoreName>(['pglite', 'postgres'])('creating runs concurrently [%s]', (store) => {
  let harness: ApiHarness;

  beforeAll(async () => {
    harness = await startApi(store, {
      env: { AUTONOMA_ORG_RUN_QUOTA: String(quota) },
      server: { authenticators },
    });
    await ensureOrgs(harness.app);
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('concurrent duplicates of one Idempotency-Key store one run; a body other than the stored one gets 422', async () => {
    const key = 'race-1';
    const bodyOf = (index: number): string => (index % 2 === 0 ? 'first body' : 'second body');
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, index) =>
        create(
          harness.api,
          'alpha',
          { goal: index % 2 === 0 ? 'first body' : 'second body' },
          { 'idempotency-key': key },
        ),
      ),
    );
    const statuses = answers.map((answer) => answer.statusCode);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    const accepted = answers.filter((answer) => answer.statusCode === 201 || answer.statusCode === 200);
    const runIds = new Set(accepted.map((answer) => (answer.json() as { id: string }).id));
    expect(runIds.size).toBe(1);
    // Whichever body won (the one of the 201), every request with the other body was refused, and only those.
    const winner = bodyOf(statuses.indexOf(201));
    answers.forEach((answer, index) => {
      if (bodyOf(index) === winner) expect([200, 201]).toContain(answer.statusCode);
      else {
        expect(answer.statusCode).toBe(422);
        expect(expectErrorShape(answer.body).code).toBe('idempotency_mismatch');
      }
    });
    const stored = await harness.app.database.executor.execute(
      sql`SELECT id FROM runs WHERE org_id = ${defaultOrgId} AND idempotency_key = ${key}`,
    );
    expect(stored.rows.map((row) => row['id'])).toEqual([...runIds]);
    // One job for the run, and one audit entry per accepted request (201 or 200), none for a 422.
    const jobs = await harness.app.database.executor.execute(
      sql`SELECT id FROM jobs WHERE run_id = ${[...runIds][0] ?? ''}`,
    );
    expect(jobs.rows).toHaveLength(1);
    const { creates, verify } = await auditOf(harness.api, 'alpha');
    const entries = creates.filter((entry) => entry.detail.runId === [...runIds][0]);
    expect(entries).toHaveLength(accepted.length);
    expect(entries.filter((entry) => entry.detail.status === 201)).toHaveLength(1);
    expect(verify).toEqual({ intact: true, brokenAt: null });
  });

  it("a burst past the quota gets exactly the quota in (429 with Retry-After beyond it); another organization's runs still start", async () => {
    const burst = Array.from({ length: 40 }, (_, index) =>
      create(harness.api, 'beta', { goal: `burst ${index}` }),
    );
    // Another organization, in the middle of the burst.
    const other = create(harness.api, 'gamma', { goal: 'gamma goes on' });
    const answers = await Promise.all(burst);
    expect((await other).statusCode).toBe(201);
    const created = answers.filter((answer) => answer.statusCode === 201);
    const refused = answers.filter((answer) => answer.statusCode === 429);
    expect(created).toHaveLength(quota);
    expect(refused).toHaveLength(40 - quota);
    expect(Number(refused[0]?.headers['retry-after'])).toBeGreaterThan(0);
    expect(expectErrorShape(refused[0]?.body ?? '').code).toBe('rate_limited');
    const active = await harness.app.services.runs.list(principals.beta.scope, {
      status: ['queued', 'running'],
      limit: 1000,
    });
    expect(active).toHaveLength(quota);
    // Every create that got in has its audit entry, with its request id; the refused ones have none.
    const { creates, verify } = await auditOf(harness.api, 'beta');
    expect(creates.map((entry) => entry.detail.runId).sort()).toEqual(
      created.map((answer) => (answer.json() as { id: string }).id).sort(),
    );
    expect(new Set(creates.map((entry) => entry.detail.requestId)).size).toBe(quota);
    expect(verify).toEqual({ intact: true, brokenAt: null });
  });

  it('the audit chain verifies after creates raced other audited requests of the organization', async () => {
    const requests: Promise<unknown>[] = [];
    for (let index = 0; index < 10; index += 1) {
      requests.push(create(harness.api, 'gamma', { goal: `mixed ${index}` }));
      // An agent written: audited by the audit log's own group commit, under the same chain lock.
      requests.push(
        harness.api.inject({
          method: 'PUT',
          url: `/v1/agents/helper-${index}`,
          headers: { authorization: 'Bearer gamma-token' },
          payload: { name: `helper-${index}`, instructions: 'help' },
        }),
      );
    }
    await Promise.all(requests);
    const { creates, verify } = await auditOf(harness.api, 'gamma');
    // The create made during the burst above, and these ten.
    expect(creates).toHaveLength(11);
    expect(verify).toEqual({ intact: true, brokenAt: null });
  });

  it('a create that fails in a batch fails alone: the others of its batch are stored', async () => {
    const intake = harness.app.database.stores.runIntake;
    const agent = await harness.app.services.runs.agent(principals.alpha.scope, undefined);
    const now = Date.now();
    const submit = (id: string, orgId: string) =>
      intake.submit({
        run: {
          id,
          orgId,
          agentId: agent.id,
          goal: { text: id },
          budgets: agent.budgets,
          workspace: `ws_${id}`,
          now,
        },
        audit: () => ({ orgId, actor: 'test', action: 'test.create', target: id, detail: {}, at: now }),
      });
    // Hashed in SQL for created runs and in JS otherwise: any text chains alike (verify recomputes in JS).
    const tricky = await intake.submit({
      run: {
        id: 'run_batch_text',
        orgId: defaultOrgId,
        agentId: agent.id,
        goal: { text: 'x' },
        budgets: agent.budgets,
        workspace: 'ws_batch_text',
        now,
      },
      audit: () => ({
        orgId: defaultOrgId,
        actor: 'tëst ✓',
        action: 'test.create',
        target: 'run_batch_text',
        detail: {
          text: 'héllo "quoted" \\ back\nslash\ttab 🚀 \u2028 end',
          nested: { b: 1, a: [null, true, 1.5] },
        },
        at: now,
      }),
    });
    expect(tricky).toMatchObject({ refused: false, created: true });
    // Submitted together, so they share a batch; the organization of one does not exist.
    const results = await Promise.allSettled([
      submit('run_batch_ok1', defaultOrgId),
      submit('run_batch_bad', 'org_missing'),
      submit('run_batch_ok2', defaultOrgId),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const stored = await harness.app.database.executor.execute(
      sql`SELECT id FROM runs WHERE id IN ('run_batch_ok1', 'run_batch_ok2', 'run_batch_bad') ORDER BY id`,
    );
    expect(stored.rows.map((row) => row['id'])).toEqual(['run_batch_ok1', 'run_batch_ok2']);
    expect((await auditOf(harness.api, 'alpha')).verify).toEqual({ intact: true, brokenAt: null });
  });
});

describe('creating runs through two apps on one PostgreSQL database', () => {
  let database: { url: string; drop: () => Promise<void> };
  const apps: ApiHarness[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('autonoma_api_batch');
    const migrating = await createDatabase({ kind: 'postgres', url: database.url });
    await migrating.migrate();
    await migrating.close();
    for (let index = 0; index < 2; index += 1) {
      apps.push(
        await startApi('postgres', {
          databaseUrl: database.url,
          env: { AUTONOMA_ORG_RUN_QUOTA: String(quota) },
          server: { authenticators },
        }),
      );
    }
    await ensureOrgs((apps[0] as ApiHarness).app);
  });
  afterAll(async () => {
    for (const harness of apps) await harness.close();
    await database?.drop();
  });

  it('hold the quota, one run per Idempotency-Key and one audit chain between them', async () => {
    const [first, second] = apps as [ApiHarness, ApiHarness];
    const both = (index: number): Api => (index % 2 === 0 ? first.api : second.api);
    const duplicates = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        create(both(index), 'beta', { goal: 'once' }, { 'idempotency-key': 'across' }),
      ),
    );
    expect(duplicates.filter((answer) => answer.statusCode === 201)).toHaveLength(1);
    expect(new Set(duplicates.map((answer) => (answer.json() as Run).id)).size).toBe(1);
    const burst = await Promise.all(
      Array.from({ length: 30 }, (_, index) => create(both(index), 'beta', { goal: `burst ${index}` })),
    );
    // The run of the key is active too: quota − 1 more got in.
    expect(burst.filter((answer) => answer.statusCode === 201)).toHaveLength(quota - 1);
    expect(burst.filter((answer) => answer.statusCode === 429)).toHaveLength(30 - (quota - 1));
    const { creates, verify } = await auditOf(second.api, 'beta');
    expect(creates).toHaveLength(10 + quota - 1);
    expect(verify).toEqual({ intact: true, brokenAt: null });
  });
});
