/**
 * `autonoma worker`, `workers` and `jobs` from the command line: what they refuse (one line, non-zero
 * exit), a worker on the embedded store, and a worker on PostgreSQL without Redis (the local queue).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, runCli, startCli } from '../support/cli.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { startOwnRedis } from '../support/redis.ts';
import { waitFor } from '../support/wait-for.ts';
import { startCluster, workerReady, type Cluster } from './cluster-harness.ts';

let database: { url: string; drop: () => Promise<void> };
beforeAll(async () => {
  database = await createTestDatabase('autonoma_worker_cli');
  const migrated = await runCli(['migrate'], cliEnvironment({ DATABASE_URL: database.url }));
  if (migrated.code !== 0) throw new Error(migrated.stderr);
});
afterAll(async () => {
  await database?.drop();
});

const home = (): string => mkdtempSync(join(tmpdir(), 'autonoma-worker-'));

describe('autonoma worker: bad input, one line each', () => {
  it.each([
    [
      ['worker', '--queues', 'critical,urgent'],
      /^autonoma: unknown queue 'urgent' in --queues; queues are critical, high, normal, low\n$/,
    ],
    [['worker', '--queues', ','], /^autonoma: --queues names no queue; use critical,high,normal,low\n$/],
    [['worker', '--concurrency', '0'], /^autonoma: --concurrency must be a positive integer, got '0'\n$/],
    [['worker', '--concurrency', '-3'], /^autonoma: --concurrency must be a positive integer, got '-3'\n$/],
    [
      ['worker', '--concurrency', 'many'],
      /^autonoma: --concurrency must be a positive integer, got 'many'\n$/,
    ],
    [
      ['jobs', 'list', '--status', 'lost'],
      /^autonoma: unknown job status 'lost'; one of pending, sent, active, done, failed\n$/,
    ],
  ])('%j', async (args, message) => {
    const result = await runCli(args, cliEnvironment({ AUTONOMA_HOME: home() }));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('names AUTONOMA_WORKER_QUEUES when the configured queues are wrong', async () => {
    const result = await runCli(
      ['worker'],
      cliEnvironment({ AUTONOMA_HOME: home(), AUTONOMA_WORKER_QUEUES: 'high,later' }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^autonoma: unknown queue 'later' in AUTONOMA_WORKER_QUEUES; /);
  });

  it('names REDIS_URL when Redis does not answer', async () => {
    const result = await runCli(
      ['worker'],
      cliEnvironment({ DATABASE_URL: database.url, REDIS_URL: 'redis://127.0.0.1:1', AUTONOMA_HOME: home() }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^autonoma: cannot reach Redis at REDIS_URL \(redis:\/\/127\.0\.0\.1:1\): [^\n]+\n$/,
    );
  });

  it('refuses a Redis that evicts keys, naming its maxmemory-policy', async () => {
    const redis = await startOwnRedis(['--maxmemory-policy', 'volatile-lru']);
    try {
      const result = await runCli(
        ['worker'],
        cliEnvironment({ DATABASE_URL: database.url, REDIS_URL: redis.url, AUTONOMA_HOME: home() }),
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^autonoma: Redis at REDIS_URL \(redis:\/\/127\.0\.0\.1:\d+\) has maxmemory-policy 'volatile-lru'; BullMQ loses jobs under eviction: set it to 'noeviction'\n$/,
      );
    } finally {
      await redis.stop();
    }
  });
});

describe('autonoma worker on the embedded store', () => {
  it('starts on the local queue, registers, and drains on SIGTERM', async () => {
    const env = cliEnvironment({ AUTONOMA_HOME: home() });
    const worker = startCli(['worker', '--queues', 'critical,high', '--concurrency', '3'], env);
    let output = '';
    worker.child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(
      () => /^worker wkr_\S+ · local queue · queues critical,high · concurrency 3/m.test(output),
      {
        what: 'the worker to start',
      },
    );
    worker.child.kill('SIGTERM');
    const result = await worker.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/: drained$/m);
    const listed = await runCli(['workers', 'list', '--all'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(
      /^wkr_\S+ {2}stopped \(drained\) .* local {2}queues critical,high {2}0\/3 in flight/m,
    );
    expect(listed.stdout).toMatch(/capabilities: .*fs_read/);
  }, 90_000);
});

describe('autonoma worker on PostgreSQL without Redis (the local queue)', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ redis: false });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('advances queued runs; jobs list, show and retry see them', async () => {
    const worker = cluster.startWorker(['--concurrency', '4']);
    await workerReady(worker);
    expect(worker.output()).toMatch(/· local queue ·/);
    const ids = await cluster.startRuns(6, '[effects=1] local');
    const ended = await cluster.waitForEnd(ids);
    expect(ended.map((run) => run.status)).toEqual(ids.map(() => 'succeeded'));

    const listed = await runCli(['jobs', 'list', '--run', ids[0] ?? '', '--json'], cluster.env);
    expect(listed.code, listed.stderr).toBe(0);
    const jobs = JSON.parse(listed.stdout) as { id: string; status: string; kind: string }[];
    expect(jobs.length).toBeGreaterThanOrEqual(1);
    expect(jobs.every((job) => job.status === 'done' && job.kind === 'agent-run')).toBe(true);
    const shown = await runCli(['jobs', 'show', jobs[0]?.id ?? ''], cluster.env);
    expect(shown.stdout).toMatch(/^job job_\S+ · agent-run · done · queue normal$/m);
    // A finished job can be retried; its run already ended, so the worker does nothing more.
    const retried = await runCli(['jobs', 'retry', jobs[0]?.id ?? ''], cluster.env);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toMatch(/pending again/);
    await waitFor(
      async () =>
        JSON.parse((await runCli(['jobs', 'show', jobs[0]?.id ?? '', '--json'], cluster.env)).stdout)
          .status === 'done',
      { what: 'the retried job to be done again' },
    );
    const again = await runCli(['jobs', 'retry', 'job_nope'], cluster.env);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^autonoma: job 'job_nope' not found\n$/);
    // Without Redis, `autonoma run` advances the run in its own process, as embedded.
    const inline = await runCli(['run', '[effects=1] inline'], cluster.env);
    expect(inline.code, inline.stderr).toBe(0);
    expect(inline.stdout).toBe('made 1 effects\n');
    worker.kill('SIGTERM');
    expect((await worker.done).code).toBe(0);
  }, 120_000);
});
