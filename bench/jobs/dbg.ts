import { bareAgent, startCluster, startRuns, stopWorkers, waitAllFinalized, workerReady } from './harness.ts';
import { queryRows, sql } from '../../packages/platform/src/store/index.ts';
const cluster = await startCluster({ env: { LOG_LEVEL: 'error' } });
await bareAgent(cluster);
const w = cluster.startWorker(['--concurrency', process.argv[2] ?? '10']);
await workerReady(w);
// warm up
await waitAllFinalized(cluster, await startRuns(cluster, { count: 20, goal: 'warm', agent: 'bare' }));
const ids = await startRuns(cluster, { count: 200, goal: 'x', agent: 'bare' });
const t = Date.now();
const last = await waitAllFinalized(cluster, ids);
console.log('rate', 200 / ((last - t) / 1000));
console.log(await queryRows(cluster.app.database.executor, sql`SELECT avg(finished_at - started_at)::int AS run_ms, percentile_cont(0.5) within group (order by finished_at-started_at) p50, max(finished_at-started_at) mx FROM jobs WHERE payload->>'runId' IN (SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`));
console.log(await queryRows(cluster.app.database.executor, sql`SELECT e.type, avg(e.at - j.started_at)::int AS after_start FROM jobs j JOIN run_events e ON e.run_id = j.run_id WHERE j.run_id IN (SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)) GROUP BY e.type`));
console.log(await queryRows(cluster.app.database.executor, sql`SELECT avg(r.finalized_at - j.started_at)::int AS finalized_after_start, avg(j.finished_at - r.finalized_at)::int AS job_done_after_finalize FROM jobs j JOIN runs r ON r.id = j.run_id WHERE j.run_id IN (SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`));
await stopWorkers([w]);
await cluster.close();
