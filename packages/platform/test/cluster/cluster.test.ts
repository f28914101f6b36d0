/**
 * The whole cluster, for real, on loopback (issue 14 §8): nginx with deploy/nginx/nginx.conf in front of
 * two `autonoma serve` replicas, one `autonoma worker` per pool of deploy/compose.yaml, PostgreSQL and
 * Redis. Through nginx, 300 runs are created (fixture model, side effects on a loopback effect server)
 * while SSE clients follow some of them; meanwhile one API replica and one worker are SIGKILLed (and
 * restarted, as Compose's restart policy would), then the workers are rolling-restarted with SIGTERM.
 *
 * Afterwards: every run succeeded, no idempotency key (run creation or side effect) was applied twice,
 * every SSE client saw every stored event of its run in order, each process's `/metrics` reflects its
 * work (and promtool accepts it), the logs carry request and run ids without the secret canary, one
 * trace spans the API and the worker, and the audit chain verifies.
 *
 * AUTONOMA_CLUSTER_RUNS overrides the number of runs (300).
 */
import type { Run } from '@autonoma/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, sql } from '../../src/store/index.ts';
import type { Exposition } from '../observability/observability-harness.ts';
import { parseExposition, promtoolCheckMetrics, valueOf } from '../observability/observability-harness.ts';
import { waitFor } from '../support/wait-for.ts';
import type { ClusterProcess, LoopbackCluster } from './loopback-cluster.ts';
import { secretCanary, startLoopbackCluster } from './loopback-cluster.ts';
import type { FollowedRun } from './run-follower.ts';
import { followRun } from './run-follower.ts';

const runCount = Number(process.env['AUTONOMA_CLUSTER_RUNS'] ?? 300);
const effectsPerRun = 2;
/** Every n-th run has an SSE client following it through nginx. */
const followEvery = 5;
/** POSTs in flight at once. */
const creators = 8;

const log = (message: string): void => {
  process.stderr.write(`[cluster] ${message}\n`);
};

describe('the Compose topology as real processes on loopback [postgres, redis, nginx]', () => {
  let cluster: LoopbackCluster;
  /** Run id of each creation (by index), and its Idempotency-Key. */
  const created = new Map<number, { key: string; runId: string; answers: number }>();
  let followed: FollowedRun[] = [];
  let runs: Run[] = [];
  /** What each worker served before it was stopped with SIGTERM, and each live process at the end. */
  const scrapes: { process: ClusterProcess; text: string; exposition: Exposition; stdout: string }[] = [];
  let killedWorkerRuns: string[] = [];
  let retriedPosts = 0;
  let replayed: { status: number; id: string } | undefined;
  let drainedWorkers = 0;

  const scrape = async (member: ClusterProcess): Promise<void> => {
    const text = await member.scrape();
    // What it had logged by then: its counters and its log lines come from the same observer calls.
    scrapes.push({ process: member, text, exposition: parseExposition(text), stdout: member.stdout() });
  };

  beforeAll(async () => {
    const startedAt = Date.now();
    cluster = await startLoopbackCluster();
    log(`started in ${Date.now() - startedAt} ms at ${cluster.url}`);
    const { url, apiKey } = cluster;
    const db = cluster.base.app.database.executor;
    const stopFollowing = new AbortController();
    const following: Promise<FollowedRun>[] = [];

    const createRunRequest = (index: number): Promise<Response> =>
      fetch(`${url}/v1/runs`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': `loopback-run-${index}`,
        },
        body: JSON.stringify({
          goal: `[effects=${effectsPerRun}] [delay=30] loopback run ${index}`,
          priority: index % 2 === 0 ? 'high' : 'normal',
        }),
      });
    const createRun = async (index: number): Promise<void> => {
      const key = `loopback-run-${index}`;
      for (let attempt = 1; ; attempt += 1) {
        try {
          const response = await createRunRequest(index);
          if (response.status === 201 || response.status === 200) {
            const { id } = (await response.json()) as { id: string };
            created.set(index, { key, runId: id, answers: attempt });
            if (index % followEvery === 0)
              following.push(followRun({ url, apiKey, runId: id, signal: stopFollowing.signal }));
            return;
          }
          await response.body?.cancel();
          // nginx retries no POST: a replica killed under it answers 502 until nginx marks it down.
          if (response.status < 500) throw new Error(`POST /v1/runs answered ${response.status}`);
        } catch (error) {
          if (error instanceof Error && error.message.startsWith('POST /v1/runs answered')) throw error;
        }
        if (attempt >= 30) throw new Error(`POST /v1/runs for ${key} failed ${attempt} times`);
        retriedPosts += 1;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };

    // Chaos, at points of the creation: SIGKILL an API replica, then a worker holding runs mid-way.
    const chaos: Promise<void>[] = [];
    const killApiAt = Math.floor(runCount * 0.2);
    const killWorkerAt = Math.floor(runCount * 0.4);
    const afterCreated = async (count: number): Promise<void> => {
      if (count === killApiAt) {
        const victim = cluster.live('api-1');
        victim?.kill('SIGKILL');
        log(`SIGKILL api-1 (pid ${victim?.pid}) after ${count} runs created`);
        // Compose restarts it (restart: unless-stopped); nginx sends everything to api-2 meanwhile.
        chaos.push(
          (async () => {
            await victim?.done;
            await new Promise((resolve) => setTimeout(resolve, 2000));
            await cluster.start('api-1');
            log('api-1 restarted');
          })(),
        );
      }
      if (count === killWorkerAt) {
        const pool = cluster.pools[0]?.service ?? '';
        const victim = cluster.live(pool);
        if (!victim) throw new Error(`no live ${pool}`);
        // Wait until it holds runs that have committed steps: killed mid-run, not between runs.
        await waitFor(
          async () => {
            const rows = await queryRows(
              db,
              sql`SELECT id FROM runs WHERE status = 'running' AND step_count > 0
                  AND split_part(lease_owner, '/', 2) = ${String(victim.pid)}`,
            );
            killedWorkerRuns = rows.map((row) => String(row['id']));
            return killedWorkerRuns.length > 0;
          },
          { what: `${pool} to hold runs mid-way`, timeoutMs: 120_000, intervalMs: 20 },
        );
        victim.kill('SIGKILL');
        log(`SIGKILL ${pool} (pid ${victim.pid}) holding ${killedWorkerRuns.length} run(s) mid-way`);
        chaos.push(
          (async () => {
            await victim.done;
            await cluster.start(pool);
            log(`${pool} restarted`);
          })(),
        );
      }
    };

    let next = 0;
    let done = 0;
    await Promise.all(
      Array.from({ length: creators }, async () => {
        for (let index = next++; index < runCount; index = next++) {
          await createRun(index);
          done += 1;
          await afterCreated(done);
        }
      }),
    );
    log(
      `${runCount} runs created through nginx in ${Date.now() - startedAt} ms (${retriedPosts} retried POSTs)`,
    );
    await Promise.all(chaos);

    // Rolling restart of the workers: SIGTERM drains one pool's worker, a new one takes its place.
    for (const pool of cluster.pools) {
      const worker = cluster.live(pool.service);
      if (!worker) throw new Error(`no live ${pool.service}`);
      await scrape(worker);
      worker.kill('SIGTERM');
      const exit = await worker.done;
      expect(exit.code, `${pool.service} drained: ${exit.stderr}`).toBe(0);
      expect(exit.stderr).toMatch(/: drained$/m);
      drainedWorkers += 1;
      await cluster.start(pool.service);
      log(`${pool.service} rolling-restarted`);
    }

    const ids = [...created.values()].map((entry) => entry.runId);
    await waitFor(
      async () => {
        const rows = await queryRows(
          db,
          sql`SELECT count(*)::int AS ended FROM runs WHERE finalized_at IS NOT NULL`,
        );
        return Number(rows[0]?.['ended']) >= ids.length;
      },
      { what: `${ids.length} runs to end`, timeoutMs: 900_000, intervalMs: 500 },
    );
    log(`every run ended ${Date.now() - startedAt} ms after the start`);
    runs = await cluster.base.runs(ids);
    const watchdog = setTimeout(() => stopFollowing.abort(), 60_000);
    followed = await Promise.all(following);
    clearTimeout(watchdog);

    const again = await createRunRequest(0);
    replayed = { status: again.status, id: ((await again.json()) as { id: string }).id };

    // The final scrape of every live process (the store's gauges need a moment to settle).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const name of ['api-1', 'api-2', ...cluster.pools.map((pool) => pool.service)]) {
      const member = cluster.live(name);
      if (!member) throw new Error(`${name} is not running`);
      await scrape(member);
    }
    // SIGTERM the live processes: their last spans are exported and their logs flushed.
    for (const member of cluster.processes.filter((candidate) => !candidate.exited())) {
      member.kill('SIGTERM');
      await member.done;
    }
  }, 1_500_000);

  afterAll(async () => {
    await cluster?.close();
  });

  it('finishes every run created through nginx, successfully, despite the kills', () => {
    expect(created.size).toBe(runCount);
    expect(runs).toHaveLength(runCount);
    const failed = runs.filter((run) => run.status !== 'succeeded');
    expect(
      failed.map((run) => `${run.id} ${run.status} ${run.reason ?? ''}`),
      'runs that did not succeed',
    ).toEqual([]);
    expect(runs.every((run) => run.finalizedAt !== null)).toBe(true);
    // The SIGKILLed worker held runs that had committed steps; they finished elsewhere.
    expect(killedWorkerRuns.length).toBeGreaterThan(0);
    for (const id of killedWorkerRuns)
      expect(runs.find((run) => run.id === id)?.status, `run ${id} of the killed worker`).toBe('succeeded');
    expect(drainedWorkers).toBe(2);
  });

  it('applies no idempotency key twice: one run per creation key, one effect per step', async () => {
    const db = cluster.base.app.database.executor;
    const counted = await queryRows(db, sql`SELECT count(*)::int AS runs FROM runs`);
    // Retried POSTs (a replica killed under them) found the run their first attempt created.
    expect(Number(counted[0]?.['runs'])).toBe(runCount);
    expect(new Set([...created.values()].map((entry) => entry.runId)).size).toBe(runCount);
    // The same key again, after the run ended: the same run, not a new one.
    expect(replayed).toEqual({ status: 200, id: created.get(0)?.runId });

    // Each run's side effects: exactly one key per step that made one; a resend (the call of a killed
    // worker, sent again by the next one) carries the same key, which the server applies once.
    const keysOf = new Map<string, Set<string>>();
    for (const { key } of cluster.base.effectRequests) {
      const runId = key.split(':')[0] ?? '';
      keysOf.set(runId, (keysOf.get(runId) ?? new Set()).add(key));
    }
    for (const run of runs) expect(keysOf.get(run.id)?.size ?? 0, `effects of ${run.id}`).toBe(effectsPerRun);
    const resent = cluster.base.effectRequests.length - [...keysOf.values()].reduce((n, s) => n + s.size, 0);
    log(`${cluster.base.effectRequests.length} effect requests, ${resent} resent with their key`);
  });

  it('streams every stored event of a followed run to its SSE client, in order, across reconnections', async () => {
    expect(followed.length).toBe(Math.ceil(runCount / followEvery));
    let reconnections = 0;
    for (const follower of followed) {
      expect(follower.ended, `${follower.runId}: ${follower.lastError ?? ''}`).toBe(true);
      const run = runs.find((candidate) => candidate.id === follower.runId);
      const stored = await cluster.base.app.database.stores.runs.events(
        run?.orgId ?? '',
        follower.runId,
        0,
        10_000,
      );
      expect(follower.seqs, follower.runId).toEqual(stored.map((event) => event.seq));
      expect(follower.types).toEqual(stored.map((event) => event.type));
      reconnections += follower.connections - 1;
    }
    log(`${followed.length} SSE clients, ${reconnections} reconnection(s) through nginx`);
    // Both replicas served streams and creations.
    const upstreams = new Set(
      cluster
        .accessLog()
        .split('\n')
        .map((line) => /upstream=(\S+)/.exec(line)?.[1])
        .filter((upstream) => upstream !== undefined && upstream !== '-'),
    );
    expect(upstreams.size).toBeGreaterThanOrEqual(2);
  });

  it("serves each process's metrics on its METRICS_PORT, reflecting its work, in a format promtool accepts", async () => {
    const finals = scrapes.slice(-2 - cluster.pools.length);
    const drained = scrapes.slice(0, cluster.pools.length);
    for (const { process, exposition } of [...drained, ...finals]) {
      // Every metric the dashboards use is there in every process (the store's gauges included).
      expect(valueOf(exposition, 'autonoma_workers_alive'), process.name).toBeGreaterThanOrEqual(1);
    }
    // Each worker's counters are its own work: as many runs ended as its log says it ended, at the
    // moment of the scrape; and the workers drained in the rolling restart had advanced runs.
    for (const { process, exposition, stdout } of [...drained, ...finals]) {
      if (process.role !== 'worker') continue;
      const ended = stdout.split('\n').filter((line) => line.includes('"msg":"run ended"')).length;
      expect(valueOf(exposition, 'autonoma_runs_total'), process.name).toBe(ended);
    }
    const sumOf = (name: string, labels: Record<string, string> = {}): number =>
      drained.reduce((sum, { exposition }) => sum + valueOf(exposition, name, labels), 0);
    expect(sumOf('autonoma_step_duration_seconds_count')).toBeGreaterThan(0);
    expect(
      sumOf('autonoma_tool_call_duration_seconds_count', { tool: 'http_request', outcome: 'ok' }),
    ).toBeGreaterThan(0);
    expect(sumOf('autonoma_model_tokens_total', { direction: 'input' })).toBeGreaterThan(0);
    expect(sumOf('autonoma_model_calls_total', { outcome: 'ok' })).toBeGreaterThan(0);
    expect(sumOf('autonoma_runs_total', { status: 'succeeded', agent: 'default' })).toBeGreaterThan(0);
    // The API replicas timed requests by route template; api-2 took every creation while api-1 was down.
    const api2 = finals.find((scraped) => scraped.process.name === 'api-2');
    expect(
      valueOf(
        api2?.exposition ?? { types: new Map(), samples: [] },
        'autonoma_http_request_duration_seconds_count',
        {
          route: '/v1/runs',
          method: 'POST',
        },
      ),
    ).toBeGreaterThan(0);
    const apiRoutes = new Set(
      finals
        .filter((scraped) => scraped.process.role === 'api')
        .flatMap((scraped) =>
          scraped.exposition.samples
            .filter((sample) => sample.name === 'autonoma_http_request_duration_seconds_count')
            .map((sample) => sample.labels['route']),
        ),
    );
    expect([...apiRoutes]).toEqual(expect.arrayContaining(['/v1/runs', '/v1/runs/:id/events']));
    // At the end: nothing queued or running, both pools alive.
    for (const { process, exposition } of finals) {
      expect(valueOf(exposition, 'autonoma_queue_depth'), process.name).toBe(0);
      expect(valueOf(exposition, 'autonoma_runs', { status: 'running' }), process.name).toBe(0);
      expect(valueOf(exposition, 'autonoma_workers_alive'), process.name).toBe(cluster.pools.length);
    }
    for (const role of ['api', 'worker']) {
      const text = finals.find((scraped) => scraped.process.role === role)?.text ?? '';
      const result = await promtoolCheckMetrics(text);
      expect(result.output, `promtool on ${role}`).toBe('');
    }
  });

  it('logs JSON lines with the request id on request lines, run id and org on run lines, and no secret', () => {
    const lines = cluster.processes.flatMap((member) =>
      member
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => ({ member, line: JSON.parse(line) as Record<string, unknown> })),
    );
    for (const member of cluster.processes) {
      expect(member.stdout().includes(secretCanary), `${member.name} stdout`).toBe(false);
      expect(member.stderr().includes(secretCanary), `${member.name} stderr`).toBe(false);
    }
    const requestLines = lines.filter(({ line }) => line['msg'] === 'request completed');
    expect(requestLines.length).toBeGreaterThan(runCount);
    expect(requestLines.every(({ line }) => typeof line['requestId'] === 'string')).toBe(true);
    const runLines = lines.filter(({ line }) => line['runId'] !== undefined);
    expect(runLines.filter(({ line }) => line['msg'] === 'run ended').length).toBeGreaterThan(0);
    expect(runLines.every(({ line }) => typeof line['orgId'] === 'string')).toBe(true);
    expect(new Set(lines.map(({ line }) => line['service']))).toEqual(
      new Set(['autonoma-api', 'autonoma-worker']),
    );
  });

  it('traces a run across processes: the POST through nginx → the job on a worker → the slice → its steps', async () => {
    await waitFor(() => cluster.otlp.spans.some((span) => span.name === 'job agent-run'), {
      what: 'job spans at the OTLP receiver',
      timeoutMs: 30_000,
    });
    const spans = cluster.otlp.spans;
    const posts = spans.filter((span) => span.name === 'POST /v1/runs' && span.service === 'autonoma-api');
    expect(posts.length).toBeGreaterThan(0);
    const joined = spans.filter(
      (span) =>
        span.name === 'job agent-run' &&
        span.service.startsWith('autonoma-worker') &&
        posts.some((post) => post.spanId === span.parentSpanId && post.traceId === span.traceId),
    );
    expect(joined.length, 'job spans whose parent is the request that created the run').toBeGreaterThan(0);
    const job = joined[0];
    const slice = spans.find((span) => span.parentSpanId === job?.spanId);
    expect(slice?.name).toBe('invoke_agent default');
    const steps = spans.filter((span) => span.parentSpanId === slice?.spanId && span.name === 'step');
    expect(steps.length).toBeGreaterThan(0);
    const calls = spans.filter((span) => steps.some((step) => step.spanId === span.parentSpanId));
    expect(calls.map((span) => span.name)).toEqual(
      expect.arrayContaining(['chat fixture', 'execute_tool http_request']),
    );
    expect(cluster.otlp.bodies.some((body) => body.includes(secretCanary))).toBe(false);
  });

  it('keeps an audit chain that verifies', async () => {
    const { app } = cluster.base;
    expect(await app.services.audit.verify(app.localScope)).toEqual({ intact: true, brokenAt: null });
  });
});
