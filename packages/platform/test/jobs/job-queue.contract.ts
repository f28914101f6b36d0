/**
 * The JobQueue contract: every adapter (the local queue, BullMQ) passes the same suite, against a real
 * store (and a real Redis for BullMQ).
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { BackoffOptions, Job, JobConsumer, JobQueue, NewJob, Priority } from '@autonoma/core';
import { jobBackoffMs } from '@autonoma/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobStatus } from '../../src/jobs/job-rows.ts';
import type { Executor } from '../../src/store/index.ts';
import { queryRows, sql } from '../../src/store/index.ts';
import { repositoryRoot } from '../support/cli.ts';
import { waitFor } from '../support/wait-for.ts';

/** What an adapter's harness opens for one test. */
export interface QueueHarness {
  queue: JobQueue;
  /** The store under the queue, to read job rows and create organizations and agents. */
  db: Executor;
  /**
   * Resolves once these jobs can be taken by a consumer at once (BullMQ: the relay sent them), so a
   * test can start a consumer on a settled backlog.
   */
  dispatched(ids: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** Settings every harness takes. */
export interface QueueSettings {
  backoff: BackoffOptions;
  lockMs: number;
  defaultOrgCap: number;
}

/** An adapter under test. */
export interface QueueContract {
  name: string;
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  open(settings: QueueSettings): Promise<QueueHarness>;
  /**
   * Environment for `queue-child.ts`, which consumes with this adapter in a process of its own (the
   * SIGKILL test). Absent: that test is not run for this adapter.
   */
  childEnvironment?(): Record<string, string>;
}

const settings: QueueSettings = { backoff: { baseMs: 200, maxMs: 2000 }, lockMs: 1500, defaultOrgCap: 100 };
let organizations = 0;

/** A fresh organization (jobs reference one). */
async function newOrg(db: Executor, cap?: number): Promise<string> {
  organizations += 1;
  const id = `org_q${process.pid}x${organizations}x${Math.random().toString(36).slice(2, 7)}`;
  await db.execute(
    sql`INSERT INTO organizations (id, name, created_at, max_runs_in_flight) VALUES (${id}, ${id}, 0, ${cap ?? null}::int)`,
  );
  return id;
}

/** A fresh agent of `orgId` with a `concurrency`. */
async function newAgent(db: Executor, orgId: string, concurrency: number): Promise<string> {
  const id = `agt_${Math.random().toString(36).slice(2, 12)}`;
  await db.execute(
    sql`INSERT INTO agents (id, org_id, name, spec, created_at, updated_at)
        VALUES (${id}, ${orgId}, ${id}, ${JSON.stringify({ name: id, concurrency })}::jsonb, 0, 0)`,
  );
  return id;
}

async function statusOf(
  db: Executor,
  id: string,
): Promise<{ status: JobStatus; attempts: number; lastError: string | null }> {
  const row = (await queryRows(db, sql`SELECT status, attempts, last_error FROM jobs WHERE id = ${id}`))[0];
  if (row === undefined) throw new Error(`no job ${id}`);
  return {
    status: String(row.status) as JobStatus,
    attempts: Number(row.attempts),
    lastError: (row.last_error as string | null) ?? null,
  };
}

const waitForStatus = (db: Executor, id: string, status: JobStatus, timeoutMs = 30_000): Promise<void> =>
  waitFor(async () => (await statusOf(db, id)).status === status, { what: `job ${id} ${status}`, timeoutMs });

const allQueues: Priority[] = ['critical', 'high', 'normal', 'low'];

/** Runs the contract against one adapter. */
export function describeJobQueueContract(contract: QueueContract): void {
  describe(`JobQueue contract [${contract.name}]`, () => {
    let harness: QueueHarness;
    const consumers: JobConsumer[] = [];
    const consume = (options: Parameters<JobQueue['consume']>[0]): JobConsumer => {
      const consumer = harness.queue.consume(options);
      consumers.push(consumer);
      return consumer;
    };
    const enqueue = (job: Omit<NewJob, 'kind'> & { kind?: string }) =>
      harness.queue.enqueue({ kind: 'test', ...job });

    beforeAll(async () => {
      await contract.setup?.();
      harness = await contract.open(settings);
    });
    afterAll(async () => {
      await Promise.all(consumers.map((consumer) => consumer.close({ drain: false })));
      await harness?.close();
      await contract.teardown?.();
    });

    it('runs an accepted job once with its payload, then records it done', async () => {
      const orgId = await newOrg(harness.db);
      const { id, created } = await enqueue({ orgId, payload: { hello: 'world' } });
      expect(created).toBe(true);
      const seen: Job[] = [];
      const consumer = consume({
        queues: allQueues,
        concurrency: 2,
        handler: async (job) => {
          if (job.id === id) seen.push(job);
        },
      });
      await waitForStatus(harness.db, id, 'done');
      await consumer.close();
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        id,
        kind: 'test',
        orgId,
        payload: { hello: 'world' },
        attempt: 1,
        priority: 'normal',
      });
    });

    it('takes the best priority first, and a pool of critical,high never sees low work', async () => {
      const orgId = await newOrg(harness.db);
      const order: string[] = [];
      const ids = new Map<string, Priority>();
      for (const priority of ['low', 'normal', 'high', 'critical'] as const) {
        const { id } = await enqueue({ orgId, priority, payload: { priority } });
        ids.set(id, priority);
      }
      await harness.dispatched([...ids.keys()]);
      const fast = consume({
        queues: ['critical', 'high'],
        concurrency: 1,
        handler: async (job) => {
          if (ids.has(job.id)) order.push(job.priority);
        },
      });
      await waitFor(() => order.length === 2, { what: 'critical and high jobs' });
      await fast.close();
      expect(order).toEqual(['critical', 'high']);
      const slow = consume({
        queues: ['normal', 'low'],
        concurrency: 1,
        handler: async (job) => {
          if (ids.has(job.id)) order.push(job.priority);
        },
      });
      await waitFor(() => order.length === 4, { what: 'normal and low jobs' });
      await slow.close();
      expect(order).toEqual(['critical', 'high', 'normal', 'low']);
    });

    it('does not run a delayed job before its time, and runs it after', async () => {
      const orgId = await newOrg(harness.db);
      const runAt = Date.now() + 1500;
      const { id } = await enqueue({ orgId, payload: {}, runAt });
      let ranAt = 0;
      const consumer = consume({
        queues: allQueues,
        concurrency: 1,
        handler: async (job) => {
          if (job.id === id) ranAt = Date.now();
        },
      });
      await waitForStatus(harness.db, id, 'done');
      await consumer.close();
      expect(ranAt).toBeGreaterThanOrEqual(runAt);
    });

    it('keeps one waiting job per dedupe key', async () => {
      const orgId = await newOrg(harness.db);
      const dedupeKey = `key-${Math.random()}`;
      const first = await enqueue({ orgId, payload: { n: 1 }, dedupeKey });
      const second = await enqueue({ orgId, payload: { n: 2 }, dedupeKey });
      expect(second).toEqual({ id: first.id, created: false });
      const runs: unknown[] = [];
      const consumer = consume({
        queues: allQueues,
        concurrency: 1,
        handler: async (job) => {
          if (job.dedupeKey === dedupeKey) runs.push(job.payload);
        },
      });
      await waitForStatus(harness.db, first.id, 'done');
      // Once the first is done, the key is free again.
      const third = await enqueue({ orgId, payload: { n: 3 }, dedupeKey });
      expect(third.created).toBe(true);
      await waitForStatus(harness.db, third.id, 'done');
      await consumer.close();
      expect(runs).toEqual([{ n: 1 }, { n: 3 }]);
    });

    it('retries a failing job with exponential backoff and jitter, then fails it after maxAttempts', async () => {
      const orgId = await newOrg(harness.db);
      const flaky = await enqueue({ orgId, payload: { failTimes: 2 }, maxAttempts: 5 });
      const doomed = await enqueue({ orgId, payload: { failTimes: 99 }, maxAttempts: 2 });
      const attempts = new Map<string, { attempt: number; at: number }[]>();
      const consumer = consume({
        queues: allQueues,
        concurrency: 2,
        handler: async (job) => {
          const seen = attempts.get(job.id) ?? [];
          seen.push({ attempt: job.attempt, at: Date.now() });
          attempts.set(job.id, seen);
          if (job.attempt <= Number(job.payload['failTimes'])) throw new Error(`boom ${job.attempt}`);
        },
      });
      await waitForStatus(harness.db, flaky.id, 'done');
      await waitForStatus(harness.db, doomed.id, 'failed');
      await consumer.close();
      const tries = attempts.get(flaky.id) ?? [];
      expect(tries.map((entry) => entry.attempt)).toEqual([1, 2, 3]);
      // Each retry waits at least the fixed half of its exponential delay (the other half is jitter).
      for (let index = 1; index < tries.length; index += 1) {
        const floor = jobBackoffMs(index, { ...settings.backoff, random: () => 0 });
        expect((tries[index]?.at ?? 0) - (tries[index - 1]?.at ?? 0)).toBeGreaterThanOrEqual(floor - 50);
      }
      expect(jobBackoffMs(2, { ...settings.backoff, random: () => 0 })).toBeGreaterThan(
        jobBackoffMs(1, { ...settings.backoff, random: () => 0.999 }) - 1,
      );
      expect((attempts.get(doomed.id) ?? []).map((entry) => entry.attempt)).toEqual([1, 2]);
      expect(await statusOf(harness.db, doomed.id)).toMatchObject({ status: 'failed', lastError: 'boom 2' });
    });

    it('fails a job whose handler says so at once, and runs a deferred job again without counting an attempt', async () => {
      const orgId = await newOrg(harness.db);
      const failing = await enqueue({ orgId, payload: { mode: 'fail' } });
      const deferred = await enqueue({ orgId, payload: { mode: 'defer' } });
      const seen: { id: string; attempt: number }[] = [];
      const consumer = consume({
        queues: allQueues,
        concurrency: 2,
        handler: async (job) => {
          seen.push({ id: job.id, attempt: job.attempt });
          if (job.payload['mode'] === 'fail') return { status: 'failed', error: 'not today' };
          if (seen.filter((entry) => entry.id === job.id).length === 1)
            return { status: 'deferred', until: Date.now() + 300, reason: 'not here' };
          return { status: 'done' };
        },
      });
      await waitForStatus(harness.db, failing.id, 'failed');
      await waitForStatus(harness.db, deferred.id, 'done');
      await consumer.close();
      expect(seen.filter((entry) => entry.id === failing.id)).toHaveLength(1);
      expect(seen.filter((entry) => entry.id === deferred.id).map((entry) => entry.attempt)).toEqual([1, 1]);
    });

    it("keeps an organization and an agent under their caps, and one organization's backlog does not hold another's jobs", async () => {
      const busy = await newOrg(harness.db, 3);
      const other = await newOrg(harness.db);
      const agentA = await newAgent(harness.db, busy, 10);
      const narrow = await newAgent(harness.db, other, 1);
      const job = (orgId: string, agentId: string) =>
        enqueue({
          kind: 'agent-run',
          orgId,
          agentId,
          runId: `run_${Math.random().toString(36).slice(2)}`,
          payload: {},
        });
      const busyIds = await Promise.all(Array.from({ length: 12 }, () => job(busy, agentA)));
      const narrowIds = await Promise.all(Array.from({ length: 3 }, () => job(other, narrow)));
      expect(busyIds.length + narrowIds.length).toBe(15);
      const inFlight = new Map<string, number>();
      const peak = new Map<string, number>();
      const done = new Set<string>();
      let release = (): void => undefined;
      let gate = new Promise<void>((resolve) => (release = resolve));
      const consumer = consume({
        queues: allQueues,
        concurrency: 8,
        handler: async (entry) => {
          const key = entry.orgId === busy ? 'busy' : 'narrow';
          inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
          peak.set(key, Math.max(peak.get(key) ?? 0, inFlight.get(key) ?? 0));
          await gate;
          inFlight.set(key, (inFlight.get(key) ?? 0) - 1);
          done.add(entry.id);
        },
      });
      // The other organization's job starts although the busy one has a backlog.
      await waitFor(() => (inFlight.get('narrow') ?? 0) === 1 && (inFlight.get('busy') ?? 0) === 3, {
        what: 'both organizations in flight',
      });
      for (let round = 0; done.size < 15; round += 1) {
        release();
        gate = new Promise<void>((resolve) => (release = resolve));
        await new Promise((resolve) => setTimeout(resolve, 50));
        if (round > 2000) throw new Error('jobs did not drain');
      }
      release();
      await consumer.close();
      expect(peak.get('busy')).toBe(3);
      expect(peak.get('narrow')).toBe(1);
    });

    it('drains: the handlers see the drain signal, finish, and close resolves with nothing left', async () => {
      const orgId = await newOrg(harness.db);
      const { id } = await enqueue({ orgId, payload: {} });
      let started = false;
      const consumer = consume({
        queues: allQueues,
        concurrency: 1,
        handler: async (job, context) => {
          if (job.id !== id) return;
          started = true;
          await new Promise<void>((resolve) =>
            context.drain.addEventListener('abort', () => resolve(), { once: true }),
          );
        },
      });
      await waitFor(() => started, { what: 'the job to start' });
      expect(await consumer.close({ drain: true, graceMs: 20_000 })).toEqual({ unfinished: 0 });
      expect((await statusOf(harness.db, id)).status).toBe('done');
    });

    it('takes no job while paused, and takes it after resume', async () => {
      const orgId = await newOrg(harness.db);
      let ran = false;
      const consumer = consume({
        queues: allQueues,
        concurrency: 1,
        handler: async (job) => {
          if (job.orgId === orgId) ran = true;
        },
      });
      await consumer.pause();
      const { id } = await enqueue({ orgId, payload: {} });
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(ran).toBe(false);
      consumer.resume();
      await waitForStatus(harness.db, id, 'done');
      await consumer.close();
    });

    if (contract.childEnvironment) {
      const environment = contract.childEnvironment.bind(contract);
      it('runs a job accepted before its consumer was SIGKILLed after a restart, and fails a poison job as stalled', async () => {
        const orgId = await newOrg(harness.db);
        const waiting = await enqueue({ orgId, payload: { mode: 'quick' } });
        const inFlight = await enqueue({ orgId, payload: { mode: 'hang-once' }, maxAttempts: 3 });
        const poison = await enqueue({ orgId, payload: { mode: 'hang' }, maxAttempts: 2 });
        // The first consumer takes the jobs and is killed while two of them are in flight.
        let child = startChild(environment());
        await waitFor(() => child.started(inFlight.id) && child.started(poison.id), {
          what: 'jobs to start',
        });
        child.kill();
        await child.exited;
        // The next takes what the first left: the hung job again (attempt 2), the waiting one.
        child = startChild(environment());
        await waitForStatus(harness.db, inFlight.id, 'done');
        await waitForStatus(harness.db, waiting.id, 'done');
        await waitFor(() => child.started(poison.id), { what: 'the poison job to start again' });
        child.kill();
        await child.exited;
        // Third time: the poison job used its two attempts on dead consumers; it is failed, not run.
        child = startChild(environment());
        await waitForStatus(harness.db, poison.id, 'failed');
        await waitFor(() => child.output.includes(`stalled ${poison.id}`), { what: 'onStalled' });
        child.kill();
        await child.exited;
        expect((await statusOf(harness.db, inFlight.id)).attempts).toBe(2);
        expect(await statusOf(harness.db, poison.id)).toMatchObject({ status: 'failed', attempts: 3 });
        expect((await statusOf(harness.db, poison.id)).lastError).toMatch(/^stalled/);
      }, 120_000);
    }
  });
}

const childScript = resolve(repositoryRoot, 'packages/platform/test/jobs/queue-child.ts');
const nodeBinary = resolve(repositoryRoot, 'node_modules/.bin/node');

/** A consumer process of its own (see queue-child.ts). */
function startChild(env: Record<string, string>): {
  output: string;
  started(id: string): boolean;
  kill(): void;
  exited: Promise<void>;
} {
  const child = spawn(nodeBinary, [childScript], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const state = {
    output: '',
    started: (id: string) => state.output.includes(`start ${id}`),
    kill: () => child.kill('SIGKILL'),
    exited: new Promise<void>((resolvePromise) => child.on('exit', () => resolvePromise())),
  };
  child.stdout?.on('data', (chunk: Buffer) => (state.output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (state.output += chunk.toString()));
  return state;
}
