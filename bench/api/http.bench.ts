/**
 * The HTTP API under load (issue 11), on loopback, authenticated with an API key, PostgreSQL store:
 *
 * - `get`:    `GET /v1/runs/:id` — requests/s and p99 at 100 connections (autocannon), as a ratio to a
 *             bare Fastify route returning a constant, measured in the same process and run, alternating.
 * - `create`: `POST /v1/runs` (create only: the run and its job row committed; nothing advances it) —
 *             creates/s and p99 at `--clients` connections, as a ratio to `pgbench` write TPS (the built-in
 *             simple-update script, `-N`) with the same client count on the same server, alternating;
 *             and the statements and commits the API sent per run created (its driver's counters).
 * - `sse`:    1,000 SSE subscribers on one run; a commit (the run cancelled: its `run-end` stored and
 *             published) → time until each subscriber has the event, from the cancel call (so it
 *             includes the commit); p50/p99/last per round, and the spread from the first subscriber's
 *             receipt to the last (the fan-out alone).
 *
 * Rate limits and the run quota are set out of reach (still counted) so that what is measured is the
 * API's own cost. autocannon runs in a child process (the server's event loop serves requests only).
 * Usage:
 *   node bench/api/http.bench.ts [--only get|create|sse] [--rounds 3] [--duration 10] [--clients 32]
 *     [--subscribers 1000]
 */
import { execFile, execFileSync } from 'node:child_process';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import type { Result as LoadResult } from 'autocannon';
import Fastify from 'fastify';
import { accountAuthenticator } from '../../packages/platform/src/api/auth.ts';
import { createApiServer } from '../../packages/platform/src/api/server.ts';
import { createApp } from '../../packages/platform/src/app.ts';
import { loadConfig } from '../../packages/platform/src/config/index.ts';
import { createDatabase } from '../../packages/platform/src/store/database.ts';
import { sql } from '../../packages/platform/src/store/sql.ts';
import { createTestDatabase } from '../../packages/platform/test/support/postgres.ts';
import { environment, fixed, median, percentile, table } from '../steps/harness.ts';

const run = promisify(execFile);
const autocannonBin = resolve(import.meta.dirname, '../../node_modules/.bin/autocannon');
const argv = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? (argv[index + 1] ?? fallback) : fallback;
};
const only = flag('only', 'all');
const rounds = Number(flag('rounds', '3'));
const duration = Number(flag('duration', '10'));
const clients = Number(flag('clients', '32'));
const subscribers = Number(flag('subscribers', '1000'));

interface Load {
  rps: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/**
 * One autocannon run in its own process (`autocannon --json`), so that the load generator does not
 * share the server's event loop: the server's thread serves requests only, as pgbench's server does.
 */
async function load(options: {
  url: string;
  connections: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}): Promise<Load> {
  const args = ['-c', String(options.connections), '-d', String(duration), '-j'];
  if (options.method) args.push('-m', options.method);
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}=${value}`);
  if (options.body) args.push('-b', options.body);
  args.push(options.url);
  const { stdout } = await run(autocannonBin, args, { maxBuffer: 16 * 1024 * 1024 });
  const result = JSON.parse(stdout) as LoadResult;
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

const database = await createTestDatabase('autonoma_bench_api');
const migrating = await createDatabase({ kind: 'postgres', url: database.url });
await migrating.migrate();
await migrating.close();
const cwd = mkdtempSync(join(tmpdir(), 'autonoma-bench-api-'));
const { config } = loadConfig({
  env: {
    AUTONOMA_HOME: join(cwd, 'home'),
    DATABASE_URL: database.url,
    AUTONOMA_JWT_SECRET: 'b'.repeat(48),
    AUTONOMA_RATE_LIMIT: '10000000',
    AUTONOMA_RATE_LIMIT_IP: '10000000',
    AUTONOMA_ORG_RUN_QUOTA: '10000000',
    LOG_LEVEL: 'silent',
  },
  cwd,
});
const app = await createApp(config, { cwd });
const scope = app.localScope;
await app.services.agents.ensureDefault(scope);
const { key } = await app.services.apiKeys.create({ scope, role: 'owner' }, { name: 'bench', role: 'owner' });
const api = await createApiServer(app, { authenticators: [accountAuthenticator(app.services.auth)] });
await api.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
const bare = Fastify();
bare.get('/bare', async () => ({ ok: true }));
await bare.listen({ port: 0, host: '127.0.0.1' });
const bareUrl = `http://127.0.0.1:${(bare.server.address() as AddressInfo).port}/bare`;
const auth = { authorization: `Bearer ${key}` };
const output: Record<string, unknown> = { environment: await environment(), rounds, duration };
console.log(`# HTTP API benchmarks — ${JSON.stringify(output['environment'])}`);

try {
  if (only === 'all' || only === 'get') {
    const run = await app.services.runs.start(scope, { goal: 'a run to read' });
    const api100: Load[] = [];
    const bare100: Load[] = [];
    // Warm-up of both, then alternating rounds.
    await autocannon({ url: bareUrl, connections: 10, duration: 2 });
    await autocannon({ url: `${base}/v1/runs/${run.id}`, connections: 10, duration: 2, headers: auth });
    for (let round = 0; round < rounds; round += 1) {
      bare100.push(await load({ url: bareUrl, connections: 100 }));
      api100.push(await load({ url: `${base}/v1/runs/${run.id}`, connections: 100, headers: auth }));
    }
    const apiRps = median(api100.map((entry) => entry.rps));
    const bareRps = median(bare100.map((entry) => entry.rps));
    console.log(`\n## GET /v1/runs/:id at 100 connections (${rounds} rounds × ${duration} s, median)\n`);
    console.log(
      table(
        ['route', 'req/s', 'p99 ms', 'errors', 'non-2xx'],
        [
          ['bare Fastify constant', fixed(bareRps, 0), fixed(median(bare100.map((e) => e.p99)), 1), '0', '0'],
          [
            'GET /v1/runs/:id (API key, PostgreSQL)',
            fixed(apiRps, 0),
            fixed(median(api100.map((e) => e.p99)), 1),
            String(api100.reduce((sum, e) => sum + e.errors, 0)),
            String(api100.reduce((sum, e) => sum + e.non2xx, 0)),
          ],
        ],
      ),
    );
    console.log(`\nratio API / bare: ${fixed(apiRps / bareRps, 3)}`);
    output['get'] = { api: api100, bare: bare100, ratio: apiRps / bareRps };
  }

  if (only === 'all' || only === 'create') {
    execFileSync('pgbench', ['-i', '-q', '-s', '10', database.url], { stdio: 'ignore' });
    const creates: Load[] = [];
    const tps: number[] = [];
    const perCreate: { statements: number; commits: number }[] = [];
    const runCount = async (): Promise<number> =>
      Number((await app.database.executor.execute(sql`SELECT count(*) AS n FROM runs`)).rows[0]?.['n']);
    await autocannon({
      url: `${base}/v1/runs`,
      connections: 4,
      duration: 2,
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ goal: 'warm-up' }),
    });
    for (let round = 0; round < rounds; round += 1) {
      const text = execFileSync(
        'pgbench',
        ['-N', '-c', String(clients), '-j', '2', '-T', String(duration), '-n', database.url],
        { encoding: 'utf8' },
      );
      const match = /tps = ([\d.]+)/.exec(text);
      tps.push(Number(match?.[1] ?? Number.NaN));
      // Statements and commits the API sent per run it created (load-independent: what a create costs).
      const runsBefore = await runCount();
      const before = app.database.stats();
      creates.push(
        await load({
          url: `${base}/v1/runs`,
          connections: clients,
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ goal: 'a benchmark run' }),
        }),
      );
      const after = app.database.stats();
      const created = (await runCount()) - runsBefore;
      perCreate.push({
        statements: (after.statements - before.statements) / created,
        commits: (after.commits - before.commits) / created,
      });
    }
    const createRps = median(creates.map((entry) => entry.rps));
    const pgTps = median(tps);
    console.log(
      `\n## POST /v1/runs at ${clients} connections vs pgbench -N -c ${clients} (${rounds} rounds)\n`,
    );
    console.log(
      table(
        ['what', 'per s', 'p99 ms', 'errors', 'non-2xx'],
        [
          [`pgbench simple-update, ${clients} clients`, fixed(pgTps, 0), '—', '—', '—'],
          [
            'POST /v1/runs (201, run + job committed)',
            fixed(createRps, 0),
            fixed(median(creates.map((e) => e.p99)), 1),
            String(creates.reduce((sum, e) => sum + e.errors, 0)),
            String(creates.reduce((sum, e) => sum + e.non2xx, 0)),
          ],
        ],
      ),
    );
    console.log(`\nratio creates / pgbench TPS: ${fixed(createRps / pgTps, 3)} (target ≥ 0.5)`);
    console.log(
      `per create (median of rounds): ${fixed(median(perCreate.map((e) => e.statements)), 2)} statements, ${fixed(median(perCreate.map((e) => e.commits)), 2)} commits`,
    );
    output['create'] = { creates, pgbenchTps: tps, ratio: createRps / pgTps, perCreate };
  }

  if (only === 'all' || only === 'sse') {
    const results: {
      connectMs: number;
      cancelMs: number;
      first: number;
      p50: number;
      p99: number;
      last: number;
    }[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const run = await app.services.runs.start(scope, { goal: 'a run many watch' });
      const { lastSeq } = await app.services.runs.get(scope, run.id);
      const received: number[] = [];
      let commitAt = 0;
      const connectStart = Date.now();
      const ready: Promise<void>[] = [];
      const ended: Promise<void>[] = [];
      for (let index = 0; index < subscribers; index += 1) {
        let markReady!: () => void;
        ready.push(new Promise((resolve) => (markReady = resolve)));
        ended.push(
          new Promise((resolve, reject) => {
            const subscription = request(
              `${base}/v1/runs/${run.id}/events`,
              { headers: { ...auth, 'last-event-id': String(lastSeq) }, agent: false },
              (response) => {
                response.setEncoding('utf8');
                let seen = false;
                response.on('data', (chunk: string) => {
                  if (chunk.includes(': stream of run events')) markReady();
                  if (!seen && chunk.includes('"run-end"')) {
                    seen = true;
                    received.push(performance.now() - commitAt);
                  }
                });
                response.on('end', () => resolve());
              },
            );
            subscription.on('error', reject);
            subscription.end();
          }),
        );
      }
      await Promise.all(ready);
      const connectMs = Date.now() - connectStart;
      commitAt = performance.now();
      await app.services.runs.cancel(scope, run.id, 'fan-out benchmark');
      const cancelMs = performance.now() - commitAt;
      await Promise.all(ended);
      results.push({
        connectMs,
        cancelMs,
        first: Math.min(...received),
        p50: percentile(received, 50),
        p99: percentile(received, 99),
        last: Math.max(...received),
      });
      if (received.length !== subscribers) throw new Error(`${received.length}/${subscribers} got the event`);
    }
    console.log(
      `\n## SSE fan-out: ${subscribers} subscribers on one run, commit → receipt (${rounds} rounds)\n`,
    );
    console.log(
      table(
        [
          'round',
          'all connected in ms',
          'cancel call ms',
          'first ms',
          'p50 ms',
          'p99 ms',
          'last ms',
          'last − first ms',
        ],
        results.map((entry, index) => [
          String(index + 1),
          String(entry.connectMs),
          fixed(entry.cancelMs, 1),
          fixed(entry.first, 1),
          fixed(entry.p50, 1),
          fixed(entry.p99, 1),
          fixed(entry.last, 1),
          fixed(entry.last - entry.first, 1),
        ]),
      ),
    );
    console.log(
      `\nmedian p99 ${fixed(median(results.map((e) => e.p99)), 1)} ms, median last ${fixed(median(results.map((e) => e.last)), 1)} ms, median spread (last − first) ${fixed(median(results.map((e) => e.last - e.first)), 1)} ms`,
    );
    output['sse'] = results;
  }
} finally {
  await bare.close();
  await api.close();
  await app.close();
  await database.drop();
}
console.log(`\n${JSON.stringify({ ...output, loadAverageAfter: (await environment())['loadAverage'] })}`);
