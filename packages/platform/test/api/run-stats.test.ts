/**
 * `GET /v1/runs/stats` against PGlite and PostgreSQL: runs by state per bucket, step latency
 * percentiles and tokens and cost per agent, computed over the window from stored runs and events;
 * another organization's data never counted; readable by a viewer; bad parameters answer 400 naming
 * the parameter; and `GET /v1/runs/:id` is not shadowed.
 */
import { defaultOrgId, emptyUsage } from '@autonoma/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/store/index.ts';
import type { ApiHarness, StoreName } from './api-harness.ts';
import { as, expectErrorShape, startApi } from './api-harness.ts';

const hour = 3_600_000;
const minute = 60_000;
/** The window's start, on an hour. */
const t0 = Date.UTC(2026, 0, 5, 9);
const strangerOrg = 'org_stranger';

interface SeedRun {
  id: string;
  orgId?: string;
  agentId: string;
  status: string;
  createdAt: number;
  endedAt?: number;
  events?: Record<string, unknown>[];
}

const stepEnd = (at: number, durationMs?: number) => ({
  at,
  payload: {
    type: 'step-end',
    step: 1,
    outcome: { kind: 'continue' },
    status: 'running',
    ...(durationMs === undefined ? {} : { durationMs }),
  },
});

const modelCall = (at: number, inputTokens: number, outputTokens: number, costUsd: number) => ({
  at,
  payload: {
    type: 'model-call-end',
    step: 1,
    callId: `mcall_${at}`,
    model: 'openai:gpt-4.1-mini',
    usage: { inputTokens, outputTokens },
    costUsd,
    latencyMs: 5,
  },
});

const seedRuns: SeedRun[] = [
  {
    id: 'run_stats_1',
    agentId: 'agt_alpha',
    status: 'succeeded',
    createdAt: t0 + 10 * minute,
    endedAt: t0 + 20 * minute,
    events: [
      stepEnd(t0 + 11 * minute, 100),
      modelCall(t0 + 11 * minute, 100, 10, 0.01),
      stepEnd(t0 + 12 * minute, 300),
      modelCall(t0 + 12 * minute, 50, 5, 0.005),
    ],
  },
  {
    id: 'run_stats_2',
    agentId: 'agt_alpha',
    status: 'failed',
    createdAt: t0 + 70 * minute,
    endedAt: t0 + 80 * minute,
    events: [stepEnd(t0 + 71 * minute, 200), modelCall(t0 + 71 * minute, 20, 2, 0.002)],
  },
  {
    id: 'run_stats_3',
    agentId: 'agt_beta',
    status: 'running',
    createdAt: t0 + 75 * minute,
    // The second step was stored before steps recorded their duration: not counted.
    events: [stepEnd(t0 + 76 * minute, 400), stepEnd(t0 + 77 * minute)],
  },
  {
    // Before the window: neither its run nor its events count.
    id: 'run_stats_4',
    agentId: 'agt_alpha',
    status: 'succeeded',
    createdAt: t0 - 2 * hour,
    endedAt: t0 - hour,
    events: [stepEnd(t0 - 90 * minute, 5_000), modelCall(t0 - 90 * minute, 900, 900, 9)],
  },
  {
    // Created in the window; its model call comes after it: the run counts, the call does not.
    id: 'run_stats_5',
    agentId: 'agt_alpha',
    status: 'queued',
    createdAt: t0 + 30 * minute,
    events: [modelCall(t0 + 3 * hour + 5 * minute, 700, 700, 7)],
  },
  {
    // Another organization's run, in the same window.
    id: 'run_stats_other',
    orgId: strangerOrg,
    agentId: 'agt_other',
    status: 'succeeded',
    createdAt: t0 + 15 * minute,
    endedAt: t0 + 16 * minute,
    events: [stepEnd(t0 + 15 * minute, 9_999), modelCall(t0 + 15 * minute, 1_000, 1_000, 5)],
  },
];

async function seed(harness: ApiHarness): Promise<void> {
  const db = harness.app.database.executor;
  await db.execute(sql`INSERT INTO organizations (id, name, created_at) VALUES (${strangerOrg}, 'Stranger', 0)
    ON CONFLICT (id) DO NOTHING`);
  for (const [id, orgId, name] of [
    ['agt_alpha', defaultOrgId, 'alpha'],
    ['agt_beta', defaultOrgId, 'beta'],
    ['agt_other', strangerOrg, 'other'],
  ] as const) {
    await db.execute(sql`INSERT INTO agents (id, org_id, name, spec, created_at, updated_at)
      VALUES (${id}, ${orgId}, ${name}, '{}'::jsonb, 0, 0)`);
  }
  for (const run of seedRuns) {
    const events = run.events ?? [];
    await db.execute(sql`INSERT INTO runs (id, org_id, agent_id, goal, status, budgets, usage, workspace,
        last_seq, created_at, updated_at, ended_at)
      VALUES (${run.id}, ${run.orgId ?? defaultOrgId}, ${run.agentId}, '{"text":"seeded"}'::jsonb, ${run.status},
        '{}'::jsonb, ${JSON.stringify(emptyUsage())}::jsonb, 'ws', ${events.length}, ${run.createdAt}, ${run.createdAt}, ${run.endedAt ?? null})`);
    for (const [index, event] of events.entries()) {
      const payload = event.payload as { type: string };
      await db.execute(sql`INSERT INTO run_events (run_id, seq, type, at, payload)
        VALUES (${run.id}, ${index + 1}, ${payload.type}, ${event.at as number}, ${JSON.stringify(payload)}::jsonb)`);
    }
  }
}

describe.each<StoreName>(['pglite', 'postgres'])('GET /v1/runs/stats [%s]', (store) => {
  let harness: ApiHarness;
  const get = async (query: string, who: 'owner' | 'viewer' | 'stranger' = 'owner') => {
    const response = await harness.api.inject({
      method: 'GET',
      url: `/v1/runs/stats${query}`,
      headers: as(who),
    });
    return { status: response.statusCode, body: response.body, json: () => JSON.parse(response.body) };
  };
  const window = `?from=${t0}&to=${t0 + 3 * hour}&bucket=hour`;

  beforeAll(async () => {
    harness = await startApi(store);
    await seed(harness);
  }, 120_000);
  afterAll(async () => {
    await harness?.close();
  });

  it("computes the organization's runs by state, step latency and usage per agent over the window", async () => {
    const answer = await get(window);
    expect(answer.status).toBe(200);
    const stats = answer.json();
    expect(stats).toMatchObject({ from: t0, to: t0 + 3 * hour, bucket: 'hour', bucketMs: hour });
    expect(stats.runsByStatus).toEqual([
      { start: t0, counts: { queued: 1, succeeded: 1 }, total: 2 },
      { start: t0 + hour, counts: { failed: 1, running: 1 }, total: 2 },
    ]);
    // Durations 100, 300 (first hour), 200, 400 (second hour); the other organization's 9,999 and the
    // step with no duration are not counted.
    expect(stats.stepLatency).toEqual({
      steps: 4,
      p50Ms: 250,
      p90Ms: 370,
      p99Ms: 397,
      meanMs: 250,
      maxMs: 400,
      buckets: [
        { start: t0, steps: 2, p50Ms: 200, p90Ms: 280, p99Ms: 298, meanMs: 200, maxMs: 300 },
        { start: t0 + hour, steps: 2, p50Ms: 300, p90Ms: 380, p99Ms: 398, meanMs: 300, maxMs: 400 },
      ],
    });
    expect(stats.agents).toHaveLength(2);
    expect(stats.agents[0]).toMatchObject({
      agentId: 'agt_alpha',
      agent: 'alpha',
      runs: 3,
      modelCalls: 3,
      inputTokens: 170,
      outputTokens: 17,
    });
    expect(stats.agents[0].costUsd).toBeCloseTo(0.017, 10);
    expect(stats.agents[1]).toEqual({
      agentId: 'agt_beta',
      agent: 'beta',
      runs: 1,
      modelCalls: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
    });
  });

  it('lets a viewer read them, and shows another organization only its own', async () => {
    const asViewer = await get(window, 'viewer');
    expect(asViewer.status).toBe(200);
    expect(asViewer.json()).toEqual((await get(window)).json());

    const stranger = (await get(window, 'stranger')).json();
    expect(stranger.runsByStatus).toEqual([{ start: t0, counts: { succeeded: 1 }, total: 1 }]);
    expect(stranger.stepLatency).toMatchObject({ steps: 1, p50Ms: 9_999, maxMs: 9_999 });
    expect(stranger.agents).toEqual([
      {
        agentId: 'agt_other',
        agent: 'other',
        runs: 1,
        modelCalls: 1,
        inputTokens: 1_000,
        outputTokens: 1_000,
        costUsd: 5,
      },
    ]);
  });

  it('cuts the window by the bucket asked for, and defaults to the last day', async () => {
    const byDay = (await get(`?from=${t0}&to=${t0 + 3 * hour}&bucket=day`)).json();
    const day = Math.floor(t0 / 86_400_000) * 86_400_000;
    expect(byDay.runsByStatus).toEqual([
      { start: day, counts: { failed: 1, queued: 1, running: 1, succeeded: 1 }, total: 4 },
    ]);
    expect(byDay.stepLatency.buckets).toEqual([
      { start: day, steps: 4, p50Ms: 250, p90Ms: 370, p99Ms: 397, meanMs: 250, maxMs: 400 },
    ]);

    const latest = await get('');
    expect(latest.status).toBe(200);
    const body = latest.json();
    expect(body.to - body.from).toBe(86_400_000);
    expect(body.bucket).toBe('hour');
    // The seeded runs are long before the last day.
    expect(body.runsByStatus).toEqual([]);
    expect(body.stepLatency).toMatchObject({ steps: 0, p50Ms: null, meanMs: null, buckets: [] });
  });

  it('answers 400 naming the parameter for bad input', async () => {
    const cases: [string, RegExp][] = [
      [`?from=${t0 + hour}&to=${t0}`, /^from: must be before to/],
      [`?from=${t0}&to=${t0}`, /^from: must be before to/],
      [
        `?from=${t0}&to=${t0 + 30 * 86_400_000}&bucket=minute`,
        /^bucket: 'minute' cuts this window into 43200 buckets, at most 1000/,
      ],
      ['?bucket=week', /^querystring\.bucket: /],
      ['?from=yesterday', /^querystring\.from: /],
      ['?from=-5', /^querystring\.from: /],
      ['?to=1.5', /^querystring\.to: /],
      ['?limit=3', /^querystring: unknown field 'limit'/],
    ];
    for (const [query, message] of cases) {
      const answer = await get(query);
      expect(answer.status, query).toBe(400);
      const error = expectErrorShape(answer.body);
      expect(error.code, query).toBe('invalid_input');
      expect(error.message, query).toMatch(message);
    }
  });

  it('leaves GET /v1/runs/:id to the runs, and is in the OpenAPI document', async () => {
    const run = await harness.api.inject({
      method: 'GET',
      url: '/v1/runs/run_stats_1',
      headers: as('owner'),
    });
    expect(run.statusCode).toBe(200);
    expect(JSON.parse(run.body)).toMatchObject({ id: 'run_stats_1', status: 'succeeded' });
    const document = JSON.parse((await harness.api.inject({ method: 'GET', url: '/openapi.json' })).body) as {
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
    };
    const operation = document.paths['/v1/runs/stats']?.['get'];
    expect(operation?.parameters?.map((parameter) => parameter.name).sort()).toEqual([
      'bucket',
      'from',
      'to',
    ]);
  });
});
