/**
 * Every `/v1` route through `app.inject()`, against PGlite and PostgreSQL: the success path, validation
 * (400 naming the field, unknown fields refused), not found (404), authentication and roles, tenancy,
 * and the error shape — which never carries a stack trace or SQL, also when the store is down.
 */
import type { AddressInfo, Server, Socket } from 'node:net';
import { connect, createServer } from 'node:net';
import { dependencyError } from '@autonoma/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/api/cursor.ts';
import { createDatabase } from '../../src/store/database.ts';
import { createTestDatabase, postgresUrl } from '../support/postgres.ts';
import type { ApiHarness, StoreName } from './api-harness.ts';
import { as, expectErrorShape, startApi } from './api-harness.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

describe.each<StoreName>(['pglite', 'postgres'])('the API routes [%s]', (store) => {
  let harness: ApiHarness;
  const call = async (
    method: Method,
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const response = await harness.api.inject({
      method,
      url,
      headers: { ...as('owner'), ...headers },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
    return {
      status: response.statusCode,
      headers: response.headers,
      body: response.body,
      json: () => JSON.parse(response.body),
    };
  };
  /** A failure: the status and the error code; the shape is checked. */
  const failure = async (
    method: Method,
    url: string,
    payload?: unknown,
    headers?: Record<string, string>,
  ) => {
    const response = await call(method, url, payload, headers);
    expect(response.status).toBeGreaterThanOrEqual(400);
    const error = expectErrorShape(response.body);
    expect(response.headers['x-request-id']).toBe(error.requestId);
    return { status: response.status, ...error };
  };
  const startRun = async (body: Record<string, unknown> = { goal: 'count the files' }) => {
    const response = await call('POST', '/v1/runs', body);
    expect(response.status).toBe(201);
    return response.json() as { id: string; status: string };
  };

  beforeAll(async () => {
    harness = await startApi(store);
  });
  afterAll(async () => {
    await harness?.close();
  });

  describe('health and request ids', () => {
    it('answers /healthz and /readyz without credentials', async () => {
      const health = await harness.api.inject({ url: '/healthz' });
      expect(health.statusCode).toBe(200);
      expect(health.json()).toEqual({ status: 'ok' });
      const ready = await harness.api.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready', checks: [{ name: 'store', ok: true }] });
    });

    it('echoes a request id on every answer: the client’s when it is a plain token, a new one otherwise', async () => {
      const own = await harness.api.inject({ url: '/healthz', headers: { 'x-request-id': 'trace-42' } });
      expect(own.headers['x-request-id']).toBe('trace-42');
      const refused = await harness.api.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id\nx' } });
      expect(refused.headers['x-request-id']).toMatch(/^req_[0-9a-f-]{36}$/);
      const missing = await failure('GET', '/v1/runs/run_missing', undefined, { 'x-request-id': 'trace-43' });
      expect(missing.requestId).toBe('trace-43');
    });

    it('answers an unknown route 404 in the error shape', async () => {
      expect(await failure('GET', '/v1/nothing-here')).toMatchObject({ status: 404, code: 'not_found' });
      expect(await failure('DELETE', '/v1/runs')).toMatchObject({ status: 404, code: 'not_found' });
    });
  });

  describe('authentication and roles', () => {
    it('refuses /v1 without credentials or with a wrong token (401)', async () => {
      const anonymous = await harness.api.inject({ url: '/v1/agents' });
      expect(anonymous.statusCode).toBe(401);
      expect(expectErrorShape(anonymous.body)).toMatchObject({
        code: 'unauthorized',
        message: 'authentication required',
      });
      const wrong = await harness.api.inject({
        url: '/v1/agents',
        headers: { authorization: 'Bearer nope' },
      });
      expect(wrong.statusCode).toBe(401);
      expect(expectErrorShape(wrong.body).code).toBe('unauthorized');
    });

    it('lets a viewer read but not change (403)', async () => {
      expect((await call('GET', '/v1/runs', undefined, as('viewer'))).status).toBe(200);
      const denied = await failure('POST', '/v1/runs', { goal: 'x' }, as('viewer'));
      expect(denied).toMatchObject({ status: 403, code: 'forbidden' });
      expect((await failure('DELETE', '/v1/agents/default', undefined, as('viewer'))).status).toBe(403);
      expect((await failure('GET', '/v1/audit', undefined, as('viewer'))).status).toBe(403);
    });

    it("answers another organization's resources 404, and lists none of them", async () => {
      const run = await startRun();
      for (const [method, url] of [
        ['GET', `/v1/runs/${run.id}`],
        ['GET', `/v1/runs/${run.id}/events`],
        ['GET', `/v1/runs/${run.id}/explanation`],
        ['POST', `/v1/runs/${run.id}/cancel`],
        ['POST', `/v1/runs/${run.id}/approvals/call_1`],
        ['GET', '/v1/agents/default'],
      ] as const) {
        const payload = url.includes('approvals') ? { approve: true } : undefined;
        expect((await failure(method, url, payload, as('stranger'))).status).toBe(404);
      }
      const listed = await call('GET', '/v1/runs', undefined, as('stranger'));
      expect(listed.json()).toEqual({ items: [], nextCursor: null });
      const cursor = encodeCursor('runs', run.id);
      expect(
        (await call('GET', `/v1/runs?cursor=${cursor}`, undefined, as('stranger'))).json().items,
      ).toEqual([]);
      expect((await call('GET', '/v1/memories', undefined, as('stranger'))).json().items).toEqual([]);
    });
  });

  describe('/v1/agents', () => {
    const spec = { name: 'researcher', instructions: 'be brief', tools: ['fs_read'] };

    it('lists, creates (201), replaces (200), gets and deletes', async () => {
      const listed = await call('GET', '/v1/agents');
      expect(listed.json().items.map((agent: { name: string }) => agent.name)).toContain('default');
      const created = await call('POST', '/v1/agents', spec);
      expect(created.status).toBe(201);
      expect(created.json()).toMatchObject({
        name: 'researcher',
        instructions: 'be brief',
        tools: ['fs_read'],
      });
      expect(created.json()).not.toHaveProperty('orgId');
      expect((await call('POST', '/v1/agents', { ...spec, instructions: 'be thorough' })).status).toBe(200);
      expect((await call('GET', '/v1/agents/researcher')).json().instructions).toBe('be thorough');
      const put = await call('PUT', '/v1/agents/writer', { tools: ['fs_write'] });
      expect(put.status).toBe(201);
      expect(put.json().name).toBe('writer');
      expect((await call('DELETE', '/v1/agents/writer')).status).toBe(204);
      expect(await failure('DELETE', '/v1/agents/writer')).toMatchObject({ status: 404, code: 'not_found' });
    });

    it('refuses bad definitions, naming the field', async () => {
      expect(await failure('POST', '/v1/agents', { ...spec, colour: 'red' })).toMatchObject({
        status: 400,
        message: "body: unknown field 'colour'",
      });
      expect((await failure('POST', '/v1/agents', { name: 'bad name!' })).message).toMatch(/^body\.name: /);
      expect((await failure('POST', '/v1/agents', { name: 'x', budgets: { maxSteps: -1 } })).message).toMatch(
        /^body\.budgets\.maxSteps: /,
      );
      expect((await failure('POST', '/v1/agents', { name: 'x', tools: ['no_such_tool'] })).message).toMatch(
        /unknown tool 'no_such_tool'/,
      );
      expect((await failure('PUT', '/v1/agents/one', { name: 'two' })).message).toMatch(/^body\.name: /);
      expect(await failure('GET', '/v1/agents/nobody')).toMatchObject({
        status: 404,
        message: "agent 'nobody' not found",
      });
    });
  });

  describe('/v1/runs', () => {
    it('answers 201 once the run is committed: another connection reads it at once', async () => {
      const response = await call('POST', '/v1/runs', {
        goal: 'a committed run',
        priority: 'high',
        budgets: { maxSteps: 3 },
      });
      expect(response.status).toBe(201);
      const run = response.json();
      expect(response.headers.location).toBe(`/v1/runs/${run.id}`);
      expect(run).toMatchObject({
        status: 'queued',
        priority: 'high',
        goal: { text: 'a committed run' },
        budgets: { maxSteps: 3 },
      });
      expect(run).not.toHaveProperty('context');
      expect(run).not.toHaveProperty('leaseOwner');
      if (store === 'postgres') {
        const url = (harness.app.config.databaseUrl ?? postgresUrl) as string;
        const other = new pg.Client({ connectionString: url });
        await other.connect();
        try {
          const rows = await other.query('SELECT status FROM runs WHERE id = $1', [run.id]);
          expect(rows.rows).toEqual([{ status: 'queued' }]);
          // The run's first job was written with it (the outbox).
          const jobs = await other.query('SELECT count(*)::int AS n FROM jobs WHERE run_id = $1', [run.id]);
          expect(jobs.rows[0].n).toBe(1);
        } finally {
          await other.end();
        }
      }
      expect((await harness.app.services.runs.get(harness.app.localScope, run.id)).status).toBe('queued');
      expect(harness.runnable.map((runnable) => runnable.id)).toContain(run.id);
    });

    it('is idempotent per Idempotency-Key: same body, same run (200); another body, 422', async () => {
      const key = `key-${store}`;
      const first = await call(
        'POST',
        '/v1/runs',
        { goal: 'once', budgets: { maxSteps: 2, maxTokens: 10 } },
        { 'idempotency-key': key },
      );
      expect(first.status).toBe(201);
      // The same body with its keys in another order is the same request.
      const again = await call(
        'POST',
        '/v1/runs',
        { budgets: { maxTokens: 10, maxSteps: 2 }, goal: 'once' },
        { 'idempotency-key': key },
      );
      expect(again.status).toBe(200);
      expect(again.json().id).toBe(first.json().id);
      const other = await failure('POST', '/v1/runs', { goal: 'twice' }, { 'idempotency-key': key });
      expect(other).toMatchObject({ status: 422, code: 'idempotency_mismatch' });
      const unkeyed = [await startRun({ goal: 'once' }), await startRun({ goal: 'once' })];
      expect(new Set(unkeyed.map((run) => run.id)).size).toBe(2);
      expect((await failure('POST', '/v1/runs', { goal: 'x' }, { 'idempotency-key': '' })).message).toMatch(
        /^headers\.idempotency-key: /,
      );
    });

    it('refuses bad requests, naming the field', async () => {
      expect((await failure('POST', '/v1/runs', {})).message).toMatch(/^body\.goal: /);
      expect((await failure('POST', '/v1/runs', { goal: 5 })).message).toMatch(/^body\.goal: /);
      expect((await failure('POST', '/v1/runs', { goal: 'x', orgId: 'org_other' })).message).toBe(
        "body: unknown field 'orgId'",
      );
      expect((await failure('POST', '/v1/runs', { goal: 'x', priority: 'urgent' })).message).toMatch(
        /^body\.priority: /,
      );
      expect((await failure('POST', '/v1/runs', { goal: 'x', budgets: { steps: 1 } })).message).toBe(
        "body.budgets: unknown field 'steps'",
      );
      expect(await failure('POST', '/v1/runs', { goal: 'x', agent: 'ghost' })).toMatchObject({
        status: 404,
        message: "agent 'ghost' not found",
      });
      const broken = await harness.api.inject({
        method: 'POST',
        url: '/v1/runs',
        headers: { ...as('owner'), 'content-type': 'application/json' },
        payload: '{"goal": ',
      });
      expect(broken.statusCode).toBe(400);
      expectErrorShape(broken.body);
    });

    it('lists with filters and an opaque cursor', async () => {
      const parent = await startRun({ goal: 'the parent' });
      const { app } = harness;
      const child = await app.services.runs.start(app.localScope, {
        goal: 'the child',
        parentRunId: parent.id,
      });
      await startRun({ goal: 'a sibling' });
      const page1 = (await call('GET', '/v1/runs?limit=2')).json();
      expect(page1.items).toHaveLength(2);
      expect(typeof page1.nextCursor).toBe('string');
      const page2 = (await call('GET', `/v1/runs?limit=2&cursor=${page1.nextCursor}`)).json();
      const seen = [...page1.items, ...page2.items].map((run: { id: string }) => run.id);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toContain(child.id);
      const children = (await call('GET', `/v1/runs?parentRunId=${parent.id}`)).json();
      expect(children.items.map((run: { id: string }) => run.id)).toEqual([child.id]);
      const queued = (await call('GET', '/v1/runs?status=queued,running&agent=default&limit=1000')).json();
      expect(queued.items.length).toBeGreaterThan(2);
      expect(queued.items.every((run: { status: string }) => run.status === 'queued')).toBe(true);
      expect((await call('GET', '/v1/runs?agent=ghost')).json()).toEqual({ items: [], nextCursor: null });
      const detail = (await call('GET', `/v1/runs/${parent.id}`)).json();
      expect(detail.children.map((run: { id: string }) => run.id)).toEqual([child.id]);
      expect((await call('GET', `/v1/runs/${child.id}`)).json().parentRunId).toBe(parent.id);
    });

    it('refuses bad list queries, naming the parameter', async () => {
      expect((await failure('GET', '/v1/runs?status=bogus')).message).toMatch(
        /^query\.status: unknown run status 'bogus'/,
      );
      expect((await failure('GET', '/v1/runs?limit=0')).message).toMatch(/^querystring\.limit: /);
      expect((await failure('GET', '/v1/runs?sort=id')).message).toBe("querystring: unknown field 'sort'");
      expect((await failure('GET', '/v1/runs?cursor=not-a-cursor')).message).toBe(
        'query.cursor: not a cursor of this list',
      );
      const memoryCursor = encodeCursor('memories', 'mem_1');
      expect((await failure('GET', `/v1/runs?cursor=${memoryCursor}`)).status).toBe(400);
      expect(decodeCursor('runs', encodeCursor('runs', 'run_1'), 'string')).toBe('run_1');
    });

    it('cancels a run (then 409), and 404s for one that does not exist', async () => {
      const run = await startRun();
      const cancelled = await call('POST', `/v1/runs/${run.id}/cancel`, { reason: 'changed my mind' });
      expect(cancelled.status).toBe(200);
      expect(cancelled.json()).toMatchObject({ id: run.id, status: 'cancelled', reason: 'changed my mind' });
      expect(await failure('POST', `/v1/runs/${run.id}/cancel`)).toMatchObject({
        status: 409,
        code: 'run_terminal',
      });
      expect(await failure('POST', '/v1/runs/run_missing/cancel')).toMatchObject({
        status: 404,
        code: 'not_found',
      });
      expect((await failure('POST', `/v1/runs/${run.id}/cancel`, { because: 'x' })).message).toBe(
        "body: unknown field 'because'",
      );
    });

    it('validates approvals and 404s for an unknown run or call', async () => {
      const run = await startRun();
      expect((await failure('POST', `/v1/runs/${run.id}/approvals/call_1`, {})).message).toMatch(
        /^body\.approve: /,
      );
      expect(
        (await failure('POST', `/v1/runs/${run.id}/approvals/call_1`, { approve: 'yes' })).message,
      ).toMatch(/^body\.approve: /);
      expect(await failure('POST', `/v1/runs/${run.id}/approvals/call_1`, { approve: true })).toMatchObject({
        status: 404,
        message: "tool call 'call_1' not found",
      });
      expect(
        (await failure('POST', '/v1/runs/run_missing/approvals/call_1', { approve: false })).status,
      ).toBe(404);
    });

    it('reads the stored events as JSON and explains a run', async () => {
      const run = await startRun();
      await call('POST', `/v1/runs/${run.id}/cancel`);
      const events = await call('GET', `/v1/runs/${run.id}/events`, undefined, {
        accept: 'application/json',
      });
      expect(events.status).toBe(200);
      const items = events.json().items as { type: string; seq: number }[];
      expect(items.at(-1)?.type).toBe('run-end');
      expect(items.map((event) => event.seq)).toEqual(items.map((_, index) => index + 1));
      const later = await call('GET', `/v1/runs/${run.id}/events?fromSeq=2`, undefined, {
        accept: 'application/json',
      });
      expect(later.json().items[0].seq).toBe(2);
      const explained = await call('GET', `/v1/runs/${run.id}/explanation`);
      expect(explained.json().run).toMatchObject({ id: run.id, status: 'cancelled' });
      expect((await failure('GET', '/v1/runs/run_missing/explanation')).status).toBe(404);
      expect((await failure('GET', '/v1/runs/run_missing/events')).status).toBe(404);
      expect((await failure('GET', `/v1/runs/${run.id}/events?fromSeq=0`)).message).toMatch(
        /^querystring\.fromSeq: /,
      );
      expect(
        (await failure('GET', `/v1/runs/${run.id}/events`, undefined, { 'last-event-id': 'abc' })).message,
      ).toMatch(/^headers\.last-event-id: /);
    });
  });

  describe('/v1/memories, /v1/audit, /v1/tools', () => {
    it('lists, searches and deletes memories', async () => {
      // A cancelled run leaves an episode.
      const run = await startRun({ goal: 'remember the quarterly numbers' });
      await call('POST', `/v1/runs/${run.id}/cancel`);
      const listed = (await call('GET', '/v1/memories?agent=default&kind=episode&limit=50')).json();
      const episode = listed.items.find((memory: { runId: string }) => memory.runId === run.id);
      expect(episode).toMatchObject({ kind: 'episode' });
      expect(episode).not.toHaveProperty('embedding');
      const found = (await call('GET', '/v1/memories/search?q=quarterly%20numbers&limit=3')).json();
      expect(found.items[0]).toMatchObject({ memory: { kind: 'episode' } });
      expect(typeof found.items[0].score).toBe('number');
      expect((await call('DELETE', `/v1/memories/${episode.id}`)).status).toBe(204);
      expect(await failure('DELETE', `/v1/memories/${episode.id}`)).toMatchObject({ status: 404 });
      expect((await failure('GET', '/v1/memories/search')).message).toMatch(/^querystring\.q: /);
      expect((await failure('GET', '/v1/memories?kind=dream')).message).toMatch(/^querystring\.kind: /);
      expect((await failure('GET', '/v1/memories/search?q=x&agent=ghost')).status).toBe(404);
    });

    it('lists the audit log with a cursor and verifies it', async () => {
      await call('POST', '/v1/agents', { name: 'audited' });
      const first = (await call('GET', '/v1/audit?limit=1')).json();
      expect(first.items).toHaveLength(1);
      const rest = (await call('GET', `/v1/audit?limit=1000&cursor=${first.nextCursor}`)).json();
      expect(rest.items[0].id).toBeGreaterThan(first.items[0].id);
      expect(
        rest.items.some(
          (entry: { action: string; actor: string }) =>
            entry.action === 'agent.put' && entry.actor === 'test',
        ),
      ).toBe(true);
      expect((await call('GET', '/v1/audit/verify')).json()).toEqual({ intact: true, brokenAt: null });
      expect((await failure('GET', `/v1/audit?cursor=${encodeCursor('audit', 'x')}`)).status).toBe(400);
    });

    it('lists the tools with their risk and input schema', async () => {
      const tools = (await call('GET', '/v1/tools')).json().items as {
        name: string;
        risk: string;
        inputSchema: { properties?: object };
      }[];
      const read = tools.find((tool) => tool.name === 'fs_read');
      expect(read).toMatchObject({ risk: 'low', idempotent: true, inputSchema: { type: 'object' } });
      expect(read?.inputSchema.properties).toHaveProperty('path');
      expect(tools.find((tool) => tool.name === 'shell_exec')?.risk).toBe('high');
    });
  });

  describe('errors never leak internals', () => {
    it('answers an unexpected failure 500 with a generic message', async () => {
      const runs = harness.app.services.runs;
      const original = runs.list.bind(runs);
      runs.list = async () => {
        throw new Error('syntax error at or near "SELECT * FROM runs WHERE org_id = $1"');
      };
      try {
        expect(await failure('GET', '/v1/runs')).toMatchObject({
          status: 500,
          code: 'internal',
          message: 'internal error',
        });
      } finally {
        runs.list = original;
      }
    });

    it('answers a dependency outage 503 with Retry-After', async () => {
      const runs = harness.app.services.runs;
      const original = runs.get.bind(runs);
      runs.get = async () => {
        throw dependencyError('the store is unavailable: ECONNREFUSED 10.0.0.5:5432');
      };
      try {
        const response = await call('GET', '/v1/runs/run_1');
        expect(response.status).toBe(503);
        expect(response.headers['retry-after']).toBe('5');
        expect(expectErrorShape(response.body)).toMatchObject({ code: 'dependency_unavailable' });
        expect(response.body).not.toContain('10.0.0.5');
      } finally {
        runs.get = original;
      }
    });
  });
});

describe('the API when PostgreSQL goes away', () => {
  let harness: ApiHarness;
  let proxy: Server;
  let database: { url: string; drop: () => Promise<void> };
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    database = await createTestDatabase('autonoma_api_outage');
    const migrating = await createDatabase({ kind: 'postgres', url: database.url });
    await migrating.migrate();
    await migrating.close();
    // A TCP proxy in front of PostgreSQL: closing it is an outage the app cannot tell from a real one.
    const target = new URL(database.url);
    proxy = createServer((client) => {
      const upstream = connect(Number(target.port || 5432), target.hostname);
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxied = new URL(database.url);
    proxied.host = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    harness = await startApi('postgres', { databaseUrl: proxied.toString() });
  });
  afterAll(async () => {
    await harness?.close().catch(() => undefined);
    await database?.drop();
  });

  it('answers 503 with Retry-After, and /readyz names the store', async () => {
    expect((await harness.api.inject({ url: '/v1/runs', headers: as('owner') })).statusCode).toBe(200);
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    const response = await harness.api.inject({ url: '/v1/runs', headers: as('owner') });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(expectErrorShape(response.body).code).toBe('dependency_unavailable');
    const ready = await harness.api.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'not_ready', checks: [{ name: 'store', ok: false }] });
  });
});
