/**
 * Fairness: organization A floods the queue with 2,000 runs, then organization B asks for 20. B's runs
 * all start while A's backlog is still far from through: A never has more than its cap in flight (sent
 * to BullMQ or being worked on), and the relay sends every organization's jobs in turn. B's time to
 * start is reported against an idle baseline (B alone).
 */
import { AgentSpec } from '@autonoma/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, sql } from '../../src/store/index.ts';
import { waitFor } from '../support/wait-for.ts';
import { percentile, startCluster, workerReady, type Cluster } from './cluster-harness.ts';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.close();
});

/** Each started run's time from creation to its `run-start` event (ms), and when that was. */
async function starts(ids: readonly string[]): Promise<{ delay: number; at: number }[]> {
  const rows = await queryRows(
    cluster.app.database.executor,
    sql`SELECT r.created_at, e.at FROM runs r JOIN run_events e ON e.run_id = r.id AND e.type = 'run-start'
        WHERE r.id IN (SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`,
  );
  return rows.map((row) => ({ delay: Number(row.at) - Number(row.created_at), at: Number(row.at) }));
}

describe('fairness across organizations', () => {
  it("org B's 20 runs start while org A's backlog of 2,000 is still far from through", async () => {
    const a = await cluster.newOrganization('flood');
    const b = await cluster.newOrganization('small');
    // Cheap instant runs: an agent with no tools answers at once.
    for (const scope of [a, b])
      await cluster.app.services.agents.put(scope, AgentSpec.parse({ name: 'default', tools: [] }));
    const workers = [
      cluster.startWorker(['--concurrency', '10']),
      cluster.startWorker(['--concurrency', '10']),
    ];
    await Promise.all(workers.map(workerReady));

    // Idle baseline: B alone.
    const baseline = await cluster.startRuns(20, 'baseline', b);
    await cluster.waitForEnd(baseline);
    const idle = (await starts(baseline)).map((start) => start.delay);

    const flood: string[] = [];
    for (let batch = 0; batch < 100; batch += 1) {
      const created = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          cluster.app.services.runs.start(a, { goal: `flood ${batch * 20 + index}`, enqueue: true }),
        ),
      );
      flood.push(...created.map((run) => run.id));
    }
    const small = await cluster.startRuns(20, 'small', b);
    await waitFor(async () => (await starts(small)).length === 20, {
      what: "org B's runs to start",
      timeoutMs: 120_000,
      intervalMs: 250,
    });
    const smallStarts = await starts(small);
    const floodStarted = (await starts(flood)).length;
    const smallDelays = smallStarts.map((start) => start.delay);
    console.log(
      `[fairness] B time-to-start behind A's 2,000: p50 ${percentile(smallDelays, 50)} ms, p95 ${percentile(smallDelays, 95)} ms; ` +
        `idle baseline p50 ${percentile(idle, 50)} ms, p95 ${percentile(idle, 95)} ms; ` +
        `A runs started by then: ${floodStarted} of 2,000`,
    );
    // B did not wait for A's backlog: most of it had not even started when B's last run did.
    expect(floodStarted).toBeLessThan(1000);
    // A never had more than its cap (the default, 100) in flight.
    const peak = await queryRows(
      cluster.app.database.executor,
      sql`SELECT count(*)::int AS n FROM jobs WHERE org_id = ${a.orgId} AND status IN ('sent', 'active')`,
    );
    expect(Number(peak[0]?.n)).toBeLessThanOrEqual(100);
    for (const worker of workers) worker.kill('SIGKILL');
    await Promise.all(workers.map((worker) => worker.done));
  }, 200_000);
});
