/**
 * One organization never sees or touches another's resources, on every route the OpenAPI document
 * lists: another organization's id answers 404 for every GET, PUT, PATCH, POST and DELETE that names a
 * resource (agents, runs and their calls, events, explanation, memories, conversations, schedules, jobs,
 * users, API keys); every list answers none of its rows — with `?orgId=` (refused), and with a cursor
 * taken from its lists; its run's stream is refused before it starts. Against PGlite and PostgreSQL,
 * with an access token and with an API key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecureHarness } from './security-harness.ts';
import { expectCleanError, startSecureApi } from './security-harness.ts';
import type { Operation } from './openapi-walk.ts';
import { fillPath, operationsOf } from './openapi-walk.ts';

/** Beta's resources, made through the API by beta's owner. */
interface Foreign {
  agentId: string;
  runId: string;
  callId: string;
  memoryId: string;
  conversationId: string;
  scheduleId: string;
  jobId: string;
  userId: string;
  keyId: string;
  /** Strings that must never appear in an answer to alpha. */
  secrets: string[];
}

/** Bodies that pass validation, so that what answers is the lookup (mutating routes only). */
const bodies: Record<string, unknown> = {
  'PUT /v1/agents/{name}': { tools: [] },
  'POST /v1/runs/{id}/cancel': {},
  'POST /v1/runs/{id}/approvals/{callId}': { approve: true },
  'POST /v1/runs/{id}/input': { answer: 'forty-two' },
  'POST /v1/runs/{id}/replay': {},
  'POST /v1/conversations/{id}/messages': { text: 'hello from another organization' },
  'POST /v1/schedules/{id}/pause': {},
  'POST /v1/schedules/{id}/resume': {},
  'POST /v1/jobs/{id}/retry': {},
  'PATCH /v1/users/{id}': { role: 'viewer' },
  'DELETE /v1/agents/{name}': undefined,
  'DELETE /v1/memories/{id}': undefined,
  'DELETE /v1/conversations/{id}': undefined,
  'DELETE /v1/schedules/{id}': undefined,
  'DELETE /v1/users/{id}': undefined,
  'DELETE /v1/api-keys/{id}': undefined,
};

describe.each(['pglite', 'postgres'] as const)('tenancy on every route [%s]', (store) => {
  let harness: SecureHarness;
  let operations: Operation[];
  let foreign: Foreign;

  const as = (who: 'stranger') => harness.as(who);
  const send = async (method: string, url: string, headers: Record<string, string>, payload?: unknown) =>
    harness.api.inject({
      method: method as 'GET',
      url,
      headers,
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });

  beforeAll(async () => {
    harness = await startSecureApi({ store });
    operations = await operationsOf(harness.api);
    const beta = { orgId: harness.orgs.beta, actor: 'test' };
    const post = async (url: string, payload: unknown) => {
      const response = await send('POST', url, as('stranger'), payload);
      if (response.statusCode >= 300) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
      return response.json<Record<string, unknown>>();
    };
    const agent = await post('/v1/agents', {
      name: 'beta-careful',
      tools: ['analyze_source_tree'],
      approval: { tools: ['analyze_source_tree'] },
    });
    const run = await post('/v1/runs', {
      goal: 'beta-secret-goal: analyze the source files',
      agent: 'beta-careful',
    });
    const runId = String(run['id']);
    const paused = await harness.app.services.runs.advance(beta, runId);
    expect(paused.run.status, String(paused.run.reason)).toBe('waiting_approval');
    const calls = await harness.app.services.runs.toolCalls(beta, runId);
    const callId = calls.find((call) => call.status === 'awaiting_approval')?.key ?? '';
    // A second run that ends, so beta has a memory, and lists have more than one page.
    const done = await post('/v1/runs', { goal: 'beta-secret-goal: analyze the source files' });
    await harness.app.services.runs.advanceTree(beta, String(done['id']));
    const memories = await harness.app.services.memories.list(beta, { limit: 10 });
    const conversation = await post('/v1/conversations', { title: 'beta-secret-thread' });
    const schedule = await post('/v1/schedules', { goal: 'beta-secret-goal: nightly', cron: '0 3 * * *' });
    const jobs = await send('GET', '/v1/jobs', as('stranger'));
    const key = harness.app.database.stores.apiKeys.list(harness.orgs.beta);
    foreign = {
      agentId: String(agent['id']),
      runId,
      callId,
      memoryId: memories[0]?.id ?? '',
      conversationId: String(conversation['id']),
      scheduleId: String(schedule['id']),
      jobId: jobs.json<{ items: { id: string }[] }>().items[0]?.id ?? '',
      userId: harness.people.stranger.userId,
      keyId: (await key)[0]?.id ?? '',
      secrets: [],
    };
    for (const [name, value] of Object.entries(foreign))
      if (name !== 'secrets') expect(value, `beta's ${name}`).not.toBe('');
    foreign.secrets = [
      ...Object.values(foreign).filter((value): value is string => typeof value === 'string'),
      String(done['id']),
      harness.people.stranger.email,
      'beta-secret-goal',
      'beta-secret-thread',
      'beta-careful',
    ];
  });
  afterAll(async () => {
    await harness?.close();
  });

  /** The foreign id for a path parameter, by the resource the path names. */
  const foreignId = (name: string, path: string): string => {
    if (name === 'callId') return foreign.callId;
    const resource = path.split('/')[2];
    const byResource: Record<string, string> = {
      agents: foreign.agentId,
      runs: foreign.runId,
      memories: foreign.memoryId,
      conversations: foreign.conversationId,
      schedules: foreign.scheduleId,
      jobs: foreign.jobId,
      users: foreign.userId,
      'api-keys': foreign.keyId,
    };
    const id = resource === undefined ? undefined : byResource[resource];
    if (id === undefined)
      throw new Error(`no foreign id for {${name}} of ${path}: add the resource to this test`);
    return id;
  };

  /**
   * No beta data in `body`, except the ids the caller itself sent (a 404 names what was not found, and
   * alpha's own audit log records its own attempts).
   */
  const expectNoForeignData = (body: string, where: string, sent = ''): void => {
    for (const secret of foreign.secrets)
      if (!sent.includes(secret)) expect(body.includes(secret), `${where} shows ${secret}`).toBe(false);
  };
  /** Every id alpha sends in this suite's requests. */
  const sentIds = (): string =>
    [
      foreign.agentId,
      foreign.runId,
      foreign.callId,
      foreign.memoryId,
      foreign.conversationId,
      foreign.scheduleId,
      foreign.jobId,
      foreign.userId,
      foreign.keyId,
    ].join(' ');

  for (const credential of ['owner', 'key:operator'] as const) {
    it(`another organization's id answers 404 on every route naming a resource (${credential})`, async () => {
      const named = operations.filter(
        (operation) => operation.path.includes('{') && !operation.path.endsWith('/ws'),
      );
      expect(named.length).toBeGreaterThan(20);
      for (const operation of named) {
        const key = `${operation.method} ${operation.path}`;
        const url = fillPath(operation.path, foreignId);
        if (operation.method !== 'GET' && !Object.hasOwn(bodies, key))
          throw new Error(`${key}: give it a valid body in this test, so that its lookup is what answers`);
        const response = await send(operation.method, url, harness.as(credential), bodies[key]);
        if (key === 'PUT /v1/agents/{name}' && response.statusCode !== 403) {
          // By name, in the caller's organization: a new agent of alpha's, beta's untouched.
          expect(response.statusCode, key).toBeLessThan(300);
          expect(
            (await harness.app.services.agents.get({ orgId: harness.orgs.beta, actor: 't' }, foreign.agentId))
              .tools,
          ).toEqual(['analyze_source_tree']);
          await send('DELETE', url, harness.as('owner'));
          continue;
        }
        // A role that may not act is refused first (403), which also shows nothing of beta's.
        const expected = credential === 'key:operator' && response.statusCode === 403 ? 403 : 404;
        expect(response.statusCode, key).toBe(expected);
        expectCleanError(response.body);
        expectNoForeignData(response.body, key, url);
      }
      // Beta's resources are all still there, unchanged.
      const beta = { orgId: harness.orgs.beta, actor: 'test' };
      expect((await harness.app.services.runs.get(beta, foreign.runId)).status).toBe('waiting_approval');
      expect(await harness.app.services.users.get(beta, foreign.userId)).toMatchObject({
        role: 'owner',
        disabled: false,
      });
      expect((await harness.app.services.apiKeys.list(beta))[0]?.revokedAt).toBeNull();
      expect(await harness.app.services.schedules.get(beta, foreign.scheduleId)).toMatchObject({
        paused: false,
      });
    });
  }

  it('every list answers none of another organization’s rows, also asked with ?orgId=', async () => {
    const lists = operations.filter(
      (operation) =>
        operation.method === 'GET' && operation.path.startsWith('/v1/') && !operation.path.includes('{'),
    );
    expect(lists.length).toBeGreaterThan(8);
    for (const operation of lists) {
      const extra = operation.path === '/v1/memories/search' ? 'q=beta-secret-goal&' : '';
      for (const url of [
        `${operation.path}?${extra}`,
        `${operation.path}?${extra}orgId=${harness.orgs.beta}`,
      ]) {
        const response = await send('GET', url, harness.as('owner'));
        const where = `GET ${url}`;
        // `orgId` is not a parameter of any list: refused where lists check their query, ignored elsewhere.
        expect([200, 400], `${where}: ${response.body.slice(0, 200)}`).toContain(response.statusCode);
        expectNoForeignData(response.body, where, sentIds());
      }
    }
  });

  it('a cursor taken from another organization’s list yields none of its rows', async () => {
    const paged = operations.filter(
      (operation) => operation.method === 'GET' && operation.query.includes('cursor'),
    );
    expect(paged.map((operation) => operation.path)).toEqual(
      expect.arrayContaining(['/v1/runs', '/v1/audit', '/v1/memories']),
    );
    let tried = 0;
    for (const operation of paged) {
      const theirs = await send('GET', `${operation.path}?limit=1`, as('stranger'));
      const cursor = theirs.json<{ nextCursor?: string | null }>().nextCursor;
      if (!cursor) continue;
      tried += 1;
      const response = await send(
        'GET',
        `${operation.path}?limit=1000&cursor=${encodeURIComponent(cursor)}`,
        harness.as('owner'),
      );
      expect([200, 400], operation.path).toContain(response.statusCode);
      expectNoForeignData(response.body, `${operation.path} with beta's cursor`, sentIds());
    }
    expect(tried).toBeGreaterThanOrEqual(2);
  });

  it('another organization’s run cannot be streamed: SSE and WebSocket are refused before they start', async () => {
    const base = await harness.listen();
    const sse = await fetch(`${base}/v1/runs/${foreign.runId}/events`, { headers: harness.as('owner') });
    expect(sse.status).toBe(404);
    expect(sse.headers.get('content-type')).toMatch(/^application\/json/);
    expectNoForeignData(await sse.text(), 'SSE', sentIds());
    const stored = await send('GET', `/v1/runs/${foreign.runId}/events`, {
      ...harness.as('owner'),
      accept: 'application/json',
    });
    expect(stored.statusCode).toBe(404);
    const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/v1/runs/${foreign.runId}/ws`, {
      headers: harness.as('owner'),
    } as never);
    const received: string[] = [];
    socket.addEventListener('message', (message) => void received.push(String(message.data)));
    const outcome = await new Promise<string>((resolve) => {
      socket.addEventListener('open', () => resolve('open'));
      socket.addEventListener('error', () => resolve('refused'));
    });
    expect(outcome).toBe('refused');
    expect(received).toEqual([]);
  });

  it('an approval or an answer for another organization’s run changes nothing', async () => {
    const approve = await send(
      'POST',
      `/v1/runs/${foreign.runId}/approvals/${foreign.callId}`,
      harness.as('owner'),
      { approve: true },
    );
    expect(approve.statusCode).toBe(404);
    // Even an approval naming alpha's own run and beta's call.
    const own = await send('POST', '/v1/runs', harness.as('owner'), { goal: 'alpha run' });
    const ownId = own.json<{ id: string }>().id;
    const crossed = await send('POST', `/v1/runs/${ownId}/approvals/${foreign.callId}`, harness.as('owner'), {
      approve: true,
    });
    expect(crossed.statusCode).toBe(404);
    const calls = await harness.app.services.runs.toolCalls(
      { orgId: harness.orgs.beta, actor: 't' },
      foreign.runId,
    );
    expect(calls.find((call) => call.key === foreign.callId)?.status).toBe('awaiting_approval');
  });
});
