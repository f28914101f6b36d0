/**
 * Shared pieces of the job benchmarks: a loopback cluster (fresh PostgreSQL database, private
 * redis-server, the OpenAI-compatible fixture model, a side-effect server, `autonoma worker`
 * processes) — the same one the process tests use — and what the benchmarks measure on it.
 */
import { readFileSync } from 'node:fs';
import { AgentSpec, type Scope } from '@autonoma/core';
import { queryRows, sql } from '../../packages/platform/src/store/index.ts';
import type { Cluster, WorkerProcess } from '../../packages/platform/test/jobs/cluster-harness.ts';

export {
  startCluster,
  workerReady,
  type Cluster,
  type WorkerProcess,
} from '../../packages/platform/test/jobs/cluster-harness.ts';
export { environment, fixed, intFlag, median, parseFlags, percentile, table } from '../steps/harness.ts';

/** An agent with no tools: its runs cost a model call and the loop, nothing else. */
export async function bareAgent(cluster: Cluster, scope: Scope = cluster.app.localScope): Promise<void> {
  await cluster.app.services.agents.put(scope, AgentSpec.parse({ name: 'bare', tools: [] }));
}

/** Starts `count` runs for the workers, `parallel` at a time; returns their ids. */
export async function startRuns(
  cluster: Cluster,
  options: { count: number; goal: string; agent?: string; parallel?: number },
): Promise<string[]> {
  const ids: string[] = [];
  const parallel = options.parallel ?? 20;
  for (let start = 0; start < options.count; start += parallel) {
    const batch = Array.from({ length: Math.min(parallel, options.count - start) }, (_, index) =>
      cluster.app.services.runs.start(cluster.app.localScope, {
        goal: `${options.goal} #${start + index}`,
        ...(options.agent ? { agent: options.agent } : {}),
        enqueue: true,
      }),
    );
    ids.push(...(await Promise.all(batch)).map((run) => run.id));
  }
  return ids;
}

/** How many of the runs are finalized (ended and their log closed). */
export async function finalizedCount(cluster: Cluster, ids: readonly string[]): Promise<number> {
  const rows = await queryRows(
    cluster.app.database.executor,
    sql`SELECT count(*)::int AS n FROM runs
        WHERE id IN (SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)) AND finalized_at IS NOT NULL`,
  );
  return Number(rows[0]?.n ?? 0);
}

/** Polls until every run is finalized; returns when the last one was (ms since the epoch). */
export async function waitAllFinalized(
  cluster: Cluster,
  ids: readonly string[],
  timeoutMs = 900_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await finalizedCount(cluster, ids)) === ids.length) break;
    if (Date.now() > deadline) throw new Error(`runs did not finish within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const rows = await queryRows(
    cluster.app.database.executor,
    sql`SELECT max(finalized_at) AS at FROM runs WHERE id IN (SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`,
  );
  return Number(rows[0]?.at);
}

/** A process's peak resident set (VmHWM), in MB; read before it exits. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kilobytes = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return kilobytes / 1024;
}

/** Stops workers with SIGTERM and waits for them. */
export async function stopWorkers(workers: readonly WorkerProcess[]): Promise<void> {
  for (const worker of workers) if (!worker.exited()) worker.kill('SIGTERM');
  await Promise.all(workers.map((worker) => worker.done));
}
