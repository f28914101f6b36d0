import { startCluster, workerReady } from './cluster-harness.ts';
import { queryRows, sql } from '../../src/store/index.ts';
const cluster = await startCluster();
const w = cluster.startWorker(['--concurrency', '10']);
await workerReady(w);
for (let i = 0; i < 8; i += 1) {
  const t = Date.now();
  const run = await cluster.app.services.runs.start(cluster.app.localScope, { goal: 'quick', enqueue: true });
  const created = Date.now();
  await cluster.waitForEnd([run.id]);
  const rows = await queryRows(
    cluster.app.database.executor,
    sql`SELECT j.created_at, j.started_at, j.finished_at, (SELECT min(at) FROM run_events WHERE run_id = ${run.id}) AS first FROM jobs j WHERE run_id = ${run.id}`,
  );
  const r = rows[0]!;
  console.log(
    `create ${created - t} ms; job start +${Number(r.started_at) - Number(r.created_at)} ms; first event +${Number(r.first) - Number(r.created_at)}; finished +${Number(r.finished_at) - Number(r.created_at)}; seen end +${Date.now() - created}`,
  );
}
w.kill('SIGTERM');
await w.done;
await cluster.close();
