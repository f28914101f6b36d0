/**
 * Every job of a run continues the run's trace: the run is stored with the trace context of whoever
 * created it (`runs.trace_context`), and each of its jobs carries that context — the first one, the one
 * the sweeper writes for a run whose job is gone (a dead worker), and the next job after each slice — so
 * that one trace shows the request and every slice of the run, in whatever worker it ran. A run created
 * outside any span gets a `create_run` root span of its own, which its jobs continue.
 */
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { createSweeper } from '../../src/jobs/sweeper.ts';
import { installHttpObservability } from '../../src/observability/http-observability.ts';
import type { Observability } from '../../src/observability/observability.ts';
import { createObservability } from '../../src/observability/observability.ts';
import { queryRows, sql } from '../../src/store/index.ts';
import { startWorkerPool } from '../../src/worker.ts';
import type { Fixture } from '../fixtures/openai-server.ts';
import { waitFor } from '../support/wait-for.ts';
import type { OtlpReceiver, ReceivedSpan } from './observability-harness.ts';
import { fixtureConfig, startApp, startOtlpReceiver, startToolModel } from './observability-harness.ts';

const traceparent = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

describe('every job of a run continues its trace [pglite]', () => {
  let receiver: OtlpReceiver;
  let fixture: Fixture;
  let observability: Observability;
  let app: App;
  /** The run a request created, whose first job the sweeper replaced. */
  let requested: string;
  /** The run created outside any span. */
  let unrequested: string;
  const jobRows = async (runId: string): Promise<{ id: string; payload: Record<string, unknown> }[]> =>
    (
      await queryRows(
        app.database.executor,
        sql`SELECT id, payload FROM jobs WHERE run_id = ${runId} ORDER BY created_at, id`,
      )
    ).map((row) => ({
      id: String(row['id']),
      payload: (typeof row['payload'] === 'string' ? JSON.parse(row['payload']) : row['payload']) as Record<
        string,
        unknown
      >,
    }));
  const storedTrace = async (runId: string): Promise<unknown> => {
    const [row] = await queryRows(
      app.database.executor,
      sql`SELECT trace_context FROM runs WHERE id = ${runId}`,
    );
    const value = row?.['trace_context'];
    return typeof value === 'string' ? JSON.parse(value) : value;
  };

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    // Two tool steps and the answer: three steps, three slices of one step each.
    fixture = await startToolModel([
      { name: 'memory_store', input: { text: 'first' } },
      { name: 'memory_store', input: { text: 'second' } },
    ]);
    const config = fixtureConfig(fixture, {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'autonoma-continuity',
    });
    observability = await createObservability(config);
    const { tracing } = observability;
    if (!tracing) throw new Error('an endpoint is set: tracing must be on');
    app = await startApp(config, { observability });
    const scope = app.localScope;

    const api = Fastify();
    installHttpObservability(api, { tracing });
    api.post('/v1/runs', async (_request, reply) => {
      const run = await app.services.runs.start(scope, { goal: 'remember two things', enqueue: true });
      return reply.code(201).send({ runId: run.id });
    });
    const created = await api.inject({ method: 'POST', url: '/v1/runs' });
    expect(created.statusCode).toBe(201);
    requested = created.json<{ runId: string }>().runId;
    await api.close();
    // No span is active here: this run's trace starts with a root span of its own.
    unrequested = (await app.services.runs.start(scope, { goal: 'remember two things', enqueue: true })).id;
  });

  afterAll(async () => {
    await app?.close();
    await observability?.close();
    await fixture?.close();
    await receiver?.close();
  });

  it('stores the trace context with the run and writes it into its first job', async () => {
    for (const runId of [requested, unrequested]) {
      const stored = (await storedTrace(runId)) as Record<string, string> | null;
      expect(stored?.['traceparent'], runId).toMatch(traceparent);
      const jobs = await jobRows(runId);
      expect(jobs).toHaveLength(1);
      expect(jobs[0]?.payload['trace']).toEqual(stored);
    }
    // Two runs, two traces.
    expect(((await storedTrace(requested)) as Record<string, string>)['traceparent']).not.toBe(
      ((await storedTrace(unrequested)) as Record<string, string>)['traceparent'],
    );
  });

  it('a job the sweeper writes for a run whose job is gone carries the run’s trace', async () => {
    // The first job is lost (as when its worker died with it and Redis forgot it): the sweeper
    // writes the run a new one.
    await app.database.executor.execute(sql`UPDATE jobs SET status = 'failed' WHERE run_id = ${requested}`);
    const sweeper = createSweeper({ db: app.database.executor, clock: app.clock, graceMs: 0 });
    await waitFor(async () => (await sweeper.sweep()).requeued.includes(requested), {
      what: 'the sweeper to requeue the run',
    });
    const swept = (await jobRows(requested)).at(-1);
    expect(swept?.payload['requeuedBy']).toBe('sweeper');
    expect(swept?.payload['trace']).toEqual(await storedTrace(requested));
  });

  it('a delegating run’s children continue its trace, and so does the job that wakes it', async () => {
    const runs = app.database.stores.runs;
    const { orgId, agentId } = await app.services.runs.get(app.localScope, requested);
    const trace = { traceparent: `00-${'e5'.repeat(16)}-${'f6'.repeat(8)}-01` };
    const now = Date.now();
    const { run: parent } = await runs.create({
      id: `run_parent_${now}`,
      orgId,
      agentId,
      goal: { text: 'delegate' },
      budgets: { maxSteps: 5 },
      workspace: '/tmp/workspace',
      now,
      trace,
    });
    expect(await storedTrace(parent.id)).toEqual(trace);
    const lease = await runs.acquireLease(orgId, parent.id, { owner: 'worker-t', now, ttlMs: 60_000 });
    if ('refused' in lease) throw new Error(`lease refused: ${lease.reason}`);
    const child = {
      id: `run_child_${now}`,
      orgId,
      agentId,
      parentRunId: parent.id,
      depth: 1,
      goal: { text: 'sub-goal' },
      budgets: { maxSteps: 3 },
      workspace: '/tmp/workspace',
      now,
      enqueue: { jobId: `job_child_${now}` },
    };
    await runs.commitStep(lease, {
      events: [{ type: 'step-start', step: 1 }],
      expectedLastSeq: 0,
      status: 'waiting_children',
      usage: parent.usage,
      stepCount: 1,
      brainState: null,
      now,
      leaseExpiresAt: now + 60_000,
      children: [child],
    });
    await runs.releaseLease(lease);
    expect(await storedTrace(child.id)).toEqual(trace);
    expect((await jobRows(child.id)).map((job) => job.payload['trace'])).toEqual([trace]);
    // The child ends: the parent is queued again, with a job in its own trace.
    const childLease = await runs.acquireLease(orgId, child.id, { owner: 'worker-t', now, ttlMs: 60_000 });
    if ('refused' in childLease) throw new Error(`lease refused: ${childLease.reason}`);
    await runs.commitStep(childLease, {
      events: [{ type: 'step-start', step: 1 }],
      expectedLastSeq: 0,
      status: 'succeeded',
      answer: 'done',
      usage: parent.usage,
      stepCount: 1,
      brainState: null,
      now: now + 1,
      leaseExpiresAt: now + 60_000,
    });
    expect((await runs.get(orgId, parent.id))?.status).toBe('queued');
    expect((await jobRows(parent.id)).map((job) => job.payload['trace'])).toEqual([trace]);
    // Out of the way of the worker below (these runs have no fixture script).
    await app.database.executor.execute(
      sql`UPDATE jobs SET status = 'done' WHERE run_id IN (${parent.id}, ${child.id})`,
    );
  });

  describe('after the runs ran, one slice per job', () => {
    let spans: ReceivedSpan[];

    beforeAll(async () => {
      const pool = await startWorkerPool(app, {
        sweeper: false,
        scheduler: false,
        relay: false,
        sliceSteps: 1,
      });
      await waitFor(
        async () => {
          const runs = await Promise.all(
            [requested, unrequested].map((runId) => app.services.runs.get(app.localScope, runId)),
          );
          return runs.every((run) => run.finalizedAt !== null);
        },
        { what: 'the worker to finish both runs', timeoutMs: 120_000 },
      );
      await pool.stop();
      for (const runId of [requested, unrequested])
        expect((await app.services.runs.get(app.localScope, runId)).status, runId).toBe('succeeded');
      await observability.tracing?.flush();
      await waitFor(
        () =>
          receiver.spans.filter((span) => span.name === 'job agent-run').length >= 6 &&
          receiver.spans.some((span) => span.name === 'create_run'),
        { what: 'six job spans and the root span at the receiver' },
      );
      spans = receiver.spans;
    });

    const jobSpans = (runId: string): ReceivedSpan[] =>
      spans.filter((span) => span.name === 'job agent-run' && span.attributes['autonoma.run.id'] === runId);

    it('every job written after a slice carries the run’s trace too', async () => {
      for (const runId of [requested, unrequested]) {
        const jobs = await jobRows(runId);
        // The request's run: its lost first job, the sweeper's, and one after each of its first two
        // slices; the other: its first job and the two after its slices.
        expect(jobs.length, runId).toBe(runId === requested ? 4 : 3);
        for (const job of jobs)
          expect(job.payload['trace'], `${runId} ${job.id}`).toEqual(await storedTrace(runId));
      }
    });

    it('one trace per run: the request (or the run’s root span) → a job span per slice → its slice', () => {
      const request = spans.find((span) => span.name === 'POST /v1/runs');
      const root = spans.find(
        (span) => span.name === 'create_run' && span.attributes['autonoma.run.id'] === unrequested,
      );
      expect(request).toBeDefined();
      expect(root).toBeDefined();
      expect(root?.parentSpanId).toBe('');
      expect(root?.attributes).toMatchObject({ 'gen_ai.agent.name': 'default' });
      for (const [runId, parent] of [
        [requested, request],
        [unrequested, root],
      ] as const) {
        const jobs = jobSpans(runId);
        // Three slices of one step each: three jobs ran (the sweeper's among them for the first run).
        expect(jobs, runId).toHaveLength(3);
        for (const job of jobs) {
          expect(job.traceId, runId).toBe(parent?.traceId);
          expect(job.parentSpanId, runId).toBe(parent?.spanId);
          const slices = spans.filter(
            (span) => span.name === 'invoke_agent default' && span.parentSpanId === job.spanId,
          );
          expect(slices, runId).toHaveLength(1);
          expect(slices[0]?.traceId).toBe(parent?.traceId);
        }
        // The three slices ran the run's three steps, in that trace.
        const steps = spans
          .filter((span) => span.name === 'step' && span.traceId === parent?.traceId)
          .map((span) => span.attributes['autonoma.step']);
        expect(steps.sort(), runId).toEqual([1, 2, 3]);
      }
    });
  });
});
