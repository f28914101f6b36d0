/**
 * `scripts/cluster-demo.sh`: the loopback cluster of cluster.test.ts for a person to look at. Starts
 * nginx → 2 `autonoma serve` → 2 `autonoma worker` (the pools of deploy/compose.yaml) on a fresh
 * PostgreSQL database and a private Redis, creates runs through nginx, SIGKILLs a worker while they
 * run, and prints where everything is. With `--keep` it stays up until Ctrl-C (try the URLs it prints).
 *
 *   node packages/platform/test/cluster/cluster-demo.ts [--runs N] [--keep]
 */
import { parseArgs } from 'node:util';
import { queryRows, sql } from '../../src/store/index.ts';
import { waitFor } from '../support/wait-for.ts';
import { startLoopbackCluster } from './loopback-cluster.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '40' }, keep: { type: 'boolean', default: false } },
});
const runCount = Number(values.runs);
const say = (line: string): void => void process.stdout.write(`${line}\n`);

say('starting PostgreSQL database, Redis, 2 API replicas, 2 worker pools and nginx on loopback…');
const cluster = await startLoopbackCluster({ env: { LOG_LEVEL: 'warn' } });
const stop = async (): Promise<void> => {
  say('stopping…');
  await cluster.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
try {
  say(`load balancer  ${cluster.url}  (Authorization: Bearer ${cluster.apiKey})`);
  for (const member of cluster.processes)
    say(
      `${member.name.padEnd(12)} pid ${member.pid}  metrics http://127.0.0.1:${member.metricsPort}/metrics${member.port ? `  api http://127.0.0.1:${member.port}` : ''}`,
    );
  const started = Date.now();
  const ids: string[] = [];
  for (let index = 0; index < runCount; index += 1) {
    const response = await fetch(`${cluster.url}/v1/runs`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${cluster.apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': `demo-${index}`,
      },
      body: JSON.stringify({
        goal: `[effects=2] [delay=50] demo run ${index}`,
        priority: index % 2 === 0 ? 'high' : 'normal',
      }),
    });
    if (!response.ok) throw new Error(`POST /v1/runs answered ${response.status}: ${await response.text()}`);
    ids.push(((await response.json()) as { id: string }).id);
  }
  say(`${runCount} runs created through nginx in ${Date.now() - started} ms`);
  const victim = cluster.live(cluster.pools[0]?.service ?? '');
  if (victim) {
    victim.kill('SIGKILL');
    say(`SIGKILLed ${victim.name} (pid ${victim.pid}); restarting it, as Compose would`);
    await victim.done;
    await cluster.start(victim.name);
  }
  const db = cluster.base.app.database.executor;
  await waitFor(
    async () => {
      const rows = await queryRows(
        db,
        sql`SELECT status, count(*)::int AS n FROM runs WHERE finalized_at IS NOT NULL GROUP BY status`,
      );
      const ended = rows.reduce((sum, row) => sum + Number(row['n']), 0);
      return ended >= ids.length;
    },
    { what: 'the runs to end', timeoutMs: 600_000, intervalMs: 500 },
  );
  const rows = await queryRows(db, sql`SELECT status, count(*)::int AS n FROM runs GROUP BY status`);
  say(
    `every run ended in ${Date.now() - started} ms: ${rows.map((row) => `${String(row['n'])} ${String(row['status'])}`).join(', ')}`,
  );
  const worker = cluster.live(cluster.pools[1]?.service ?? '');
  if (worker) {
    const metrics = (await worker.scrape())
      .split('\n')
      .filter((line) => /^autonoma_(runs_total|workers_alive|queue_depth)\b/.test(line));
    say(`${worker.name} /metrics (excerpt):\n  ${metrics.join('\n  ')}`);
  }
  say(`${cluster.otlp.spans.length} spans received by the loopback OTLP receiver so far`);
  if (values.keep) {
    say('up until Ctrl-C');
    await new Promise(() => undefined);
  }
} finally {
  if (!values.keep) await cluster.close();
}
