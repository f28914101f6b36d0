/**
 * A cluster on loopback for process-level tests: a fresh PostgreSQL database, a private redis-server,
 * the OpenAI-compatible fixture model, a side-effect server, `autonoma worker` processes, and an app in
 * the test process that starts runs (as the API would) and reads the store.
 *
 * The fixture model reads its orders from the run's goal: `[effects=N]` makes N `http_request` POSTs
 * (one per step) to the effect server before answering, `[delay=MS]` delays every reply, `[poison]`
 * POSTs to `/poison`, where the server SIGKILLs the worker advancing the run (a tool that kills its
 * process) before answering, and `[kill-each-step]` has the server SIGKILL that worker the first time
 * it receives each effect (the effect is applied; its step is re-sent on resume and then commits).
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Run, Scope } from '@autonoma/core';
import type { App } from '../../src/app.ts';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createDatabase, queryRows, sql } from '../../src/store/index.ts';
import type { Fixture, RecordedRequest } from '../fixtures/openai-server.ts';
import { startOpenAiFixture } from '../fixtures/openai-server.ts';
import { cliEnvironment, startCli, type CliResult } from '../support/cli.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { startOwnRedis, type OwnRedis } from '../support/redis.ts';
import { waitFor } from '../support/wait-for.ts';

/** A worker process. */
export interface WorkerProcess {
  readonly pid: number;
  readonly output: () => string;
  readonly done: Promise<CliResult>;
  readonly exited: () => boolean;
  kill(signal: NodeJS.Signals): void;
}

/** What the harness runs. */
export interface Cluster {
  app: App;
  env: Record<string, string>;
  redis: OwnRedis | undefined;
  /** Effects applied, per idempotency key (a key seen again is not applied again). */
  effects: Map<string, number>;
  /** Every effect request: its key and path. */
  effectRequests: { key: string; path: string }[];
  model: Fixture;
  startWorker(args?: string[], env?: Record<string, string>): WorkerProcess;
  /** Starts runs for the workers (`enqueue`), in `scope` (default: the embedded organization). */
  startRuns(count: number, goal: string, scope?: Scope): Promise<string[]>;
  /** The runs, as stored. */
  runs(ids: readonly string[]): Promise<Run[]>;
  /** Waits until every run is terminal (finalized). */
  waitForEnd(ids: readonly string[], timeoutMs?: number): Promise<Run[]>;
  /** A fresh organization with its default agent. */
  newOrganization(name: string): Promise<Scope>;
  close(): Promise<void>;
}

/** Orders read from the goal text. */
function orders(request: RecordedRequest): {
  effects: number;
  delayMs: number;
  poison: boolean;
  killEachStep: boolean;
} {
  const body = request.body as { messages?: { role?: string; content?: unknown }[] };
  const goal =
    (body.messages ?? [])
      .filter((message) => message.role === 'user')
      .map((message) =>
        typeof message.content === 'string' ? message.content : JSON.stringify(message.content),
      )
      .find((content) => content.startsWith('Goal: ')) ?? '';
  return {
    effects: Number(/\[effects=(\d+)\]/.exec(goal)?.[1] ?? 0),
    delayMs: Number(/\[delay=(\d+)\]/.exec(goal)?.[1] ?? 0),
    poison: goal.includes('[poison]'),
    killEachStep: goal.includes('[kill-each-step]'),
  };
}

const toolMessages = (request: RecordedRequest): number =>
  ((request.body as { messages?: { role?: string }[] }).messages ?? []).filter(
    (message) => message.role === 'tool',
  ).length;

/** Starts a cluster; `redis: false` leaves REDIS_URL unset (the local queue over PostgreSQL). */
export async function startCluster(
  options: { redis?: boolean; env?: Record<string, string> } = {},
): Promise<Cluster> {
  const database = await createTestDatabase('autonoma_cluster');
  const migrator = await createDatabase({ kind: 'postgres', url: database.url });
  await migrator.migrate();
  await migrator.close();
  const redis = options.redis === false ? undefined : await startOwnRedis();
  const effects = new Map<string, number>();
  const effectRequests: { key: string; path: string }[] = [];
  // Set once the app is open (the effect server, started first, reads it).
  const opened: { app?: App } = {};

  const effectServer: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      void (async () => {
        const key = String(request.headers['idempotency-key'] ?? '');
        const path = request.url ?? '';
        effectRequests.push({ key, path });
        const { app } = opened;
        const killOnce = path.startsWith('/kill-once/') && !effects.has(key);
        if (killOnce) effects.set(key, 1);
        if ((path === '/poison' || killOnce) && app) {
          // The worker holding the run's lease is the one making this call: kill it mid-step.
          const runId = key.split(':')[0] ?? '';
          const row = (
            await queryRows(app.database.executor, sql`SELECT lease_owner FROM runs WHERE id = ${runId}`)
          )[0];
          const pid = Number(String(row?.lease_owner ?? '').split('/')[1]);
          if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              // Already gone.
            }
          }
        } else if (key !== '') effects.set(key, (effects.get(key) ?? 0) + 1);
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ ok: true, key }));
      })();
    });
  });
  effectServer.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => effectServer.listen(0, '127.0.0.1', resolve));
  const effectsUrl = `http://127.0.0.1:${(effectServer.address() as AddressInfo).port}`;

  const model = await startOpenAiFixture((request) => {
    const { effects: count, delayMs, poison, killEachStep } = orders(request);
    const done = toolMessages(request);
    if (poison)
      return {
        kind: 'tool-calls',
        delayMs,
        calls: [{ name: 'http_request', input: { method: 'POST', url: `${effectsUrl}/poison`, body: 'x' } }],
      };
    if (done >= count)
      return {
        kind: 'text',
        text: `made ${count} effects`,
        delayMs,
        usage: { inputTokens: 10, outputTokens: 3 },
      };
    return {
      kind: 'tool-calls',
      delayMs,
      calls: [
        {
          name: 'http_request',
          input: {
            method: 'POST',
            url: `${effectsUrl}/${killEachStep ? 'kill-once' : 'effect'}/${done}`,
            body: `effect ${done}`,
          },
        },
      ],
      usage: { inputTokens: 20, outputTokens: 8 },
    };
  });

  const env = cliEnvironment({
    DATABASE_URL: database.url,
    ...(redis ? { REDIS_URL: redis.url } : {}),
    AUTONOMA_HOME: mkdtempSync(join(tmpdir(), 'autonoma-cluster-')),
    AUTONOMA_MODEL: 'openai-compatible:fixture',
    AUTONOMA_MODEL_BASE_URL: `${model.url}/v1`,
    AUTONOMA_HTTP_ALLOW: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...options.env,
  });
  const { config } = loadConfig({ env, cwd: tmpdir() });
  const app = await createApp(config, { cwd: tmpdir() });
  await app.services.agents.ensureDefault(app.localScope);
  opened.app = app;
  const workers: WorkerProcess[] = [];

  const runs = async (ids: readonly string[]): Promise<Run[]> => {
    const rows = await queryRows(
      app.database.executor,
      sql`SELECT id, org_id FROM runs WHERE id IN (SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`,
    );
    const found = await Promise.all(
      rows.map((row) => app.database.stores.runs.get(String(row.org_id), String(row.id))),
    );
    return found.filter((run): run is Run => run !== undefined);
  };

  return {
    app,
    env,
    redis,
    effects,
    effectRequests,
    model,
    startWorker(args = [], extra = {}) {
      const started = startCli(['worker', ...args], { ...env, ...extra });
      let output = '';
      let exited = false;
      started.child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      started.child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      started.child.on('exit', () => (exited = true));
      const worker: WorkerProcess = {
        pid: started.child.pid ?? 0,
        output: () => output,
        done: started.done,
        exited: () => exited,
        kill: (signal) => started.child.kill(signal),
      };
      workers.push(worker);
      return worker;
    },
    async startRuns(count, goal, scope = app.localScope) {
      const ids: string[] = [];
      for (let index = 0; index < count; index += 1) {
        const run = await app.services.runs.start(scope, { goal: `${goal} #${index}`, enqueue: true });
        ids.push(run.id);
      }
      return ids;
    },
    runs,
    async waitForEnd(ids, timeoutMs = 90_000) {
      let last: Run[] = [];
      await waitFor(
        async () => {
          last = await runs(ids);
          return last.length === ids.length && last.every((run) => run.finalizedAt !== null);
        },
        { what: `${ids.length} runs to end`, timeoutMs, intervalMs: 200 },
      );
      return last;
    },
    async newOrganization(name) {
      const id = `org_${name}_${Math.random().toString(36).slice(2, 8)}`;
      await app.database.stores.organizations.ensure({ id, name, createdAt: Date.now() });
      const scope = { orgId: id, actor: 'test' };
      await app.services.agents.ensureDefault(scope);
      return scope;
    },
    async close() {
      for (const worker of workers) if (!worker.exited()) worker.kill('SIGKILL');
      await Promise.all(workers.map((worker) => worker.done));
      await app.close();
      await model.close();
      await new Promise<void>((resolve) => effectServer.close(() => resolve()));
      await redis?.stop();
      await database.drop();
    },
  };
}

/** Waits until a worker has registered (its first line). */
export const workerReady = (worker: WorkerProcess): Promise<void> =>
  waitFor(() => /^worker wkr_\S+ · /m.test(worker.output()) || worker.exited(), {
    what: 'a worker to start',
    timeoutMs: 60_000,
  }).then(() => {
    if (worker.exited()) throw new Error(`worker exited: ${worker.output()}`);
  });

/** The p-th percentile (0–100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((left, right) => left - right);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}
