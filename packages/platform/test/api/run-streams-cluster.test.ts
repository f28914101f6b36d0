/**
 * Live streams across replicas (issue 11, item 3): on PostgreSQL with the Redis event bus, a run is
 * advanced by one app (a worker) while its clients are attached to the API of another (replica A):
 * they get the stored events, then the live ones, with no gap and no duplicate by `seq`. A client
 * that drops mid-run reconnects to a third app (replica B) with `Last-Event-ID` — or a WebSocket with
 * `fromSeq` — and resumes exactly where it left off. Heartbeats flow while the run is quiet.
 */
import type { RunEvent } from '@autonoma/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSseParser } from '../../src/cli/remote/sse-parser.ts';
import { createDatabase } from '../../src/store/database.ts';
import type { Fixture } from '../fixtures/openai-server.ts';
import { startOpenAiFixture } from '../fixtures/openai-server.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { waitFor } from '../support/wait-for.ts';
import type { ApiHarness } from './api-harness.ts';
import { as, startApi, tokens } from './api-harness.ts';

const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const toolMessages = (body: unknown): number =>
  ((body as { messages?: { role?: string }[] }).messages ?? []).filter((message) => message.role === 'tool')
    .length;
const seqs = (events: readonly RunEvent[]): number[] =>
  events.filter((event) => event.seq > 0).map((event) => event.seq);
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, index) => from + index);

/** Reads an SSE stream until the server ends it, or until `stopAfter` events. */
async function readSse(
  url: string,
  headers: Record<string, string>,
  stopAfter = Infinity,
): Promise<{ status: number; events: RunEvent[]; heartbeats: number; ended: boolean }> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { ...as('owner'), ...headers }, signal: controller.signal });
  const read = { status: response.status, events: [] as RunEvent[], heartbeats: 0, ended: false };
  if (!response.body || response.status !== 200) return read;
  const parse = createSseParser((message) => {
    if (read.events.length < stopAfter) read.events.push(JSON.parse(message.data) as RunEvent);
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      read.ended = true;
      return read;
    }
    read.heartbeats += value.split('\n').filter((line) => line === ': heartbeat').length;
    parse(value);
    if (read.events.length >= stopAfter) {
      controller.abort();
      return read;
    }
  }
}

/** Reads a WebSocket until the server closes it. */
const readSocket = (url: string): Promise<{ events: RunEvent[]; code: number }> =>
  new Promise((resolve, reject) => {
    const events: RunEvent[] = [];
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${tokens.owner}` } } as never);
    socket.addEventListener('message', (message) =>
      events.push(JSON.parse(String(message.data)) as RunEvent),
    );
    socket.addEventListener('close', (close) => resolve({ events, code: close.code }));
    socket.addEventListener('error', () => reject(new Error('websocket error')));
  });

describe('run event streams across replicas [postgres + Redis bus]', () => {
  let model: Fixture;
  let database: { url: string; drop: () => Promise<void> };
  let replicaA: ApiHarness;
  let replicaB: ApiHarness;
  let worker: ApiHarness;
  let baseA: string;
  let baseB: string;

  beforeAll(async () => {
    // Six tool steps a few hundred ms apart, then the answer: a run still going while clients attach.
    model = await startOpenAiFixture((request) =>
      toolMessages(request.body) >= 6
        ? { kind: 'text', text: 'all listed', delayMs: 250 }
        : { kind: 'tool-calls', delayMs: 250, calls: [{ name: 'fs_list', input: {} }] },
    );
    database = await createTestDatabase('autonoma_streams');
    const migrating = await createDatabase({ kind: 'postgres', url: database.url });
    await migrating.migrate();
    await migrating.close();
    const env = {
      AUTONOMA_MODEL: 'openai-compatible:fixture',
      AUTONOMA_MODEL_BASE_URL: `${model.url}/v1`,
      REDIS_URL: redisUrl,
      AUTONOMA_QUEUE_PREFIX: `streams${process.pid}`,
    };
    const options = { env, databaseUrl: database.url, server: { heartbeatMs: 100 } };
    [replicaA, replicaB, worker] = await Promise.all([
      startApi('postgres', options),
      startApi('postgres', options),
      startApi('postgres', options),
    ]);
    expect(replicaA.app.mode).toBe('cluster');
    baseA = await replicaA.api.listen({ port: 0, host: '127.0.0.1' });
    baseB = await replicaB.api.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await Promise.all([replicaA?.close(), replicaB?.close(), worker?.close()]);
    await model?.close();
    await database?.drop();
  });

  /** Creates a run through replica A; the worker app advances it, as `autonoma worker` would. */
  const startRun = async (goal: string): Promise<{ id: string; done: Promise<unknown> }> => {
    const response = await fetch(`${baseA}/v1/runs`, {
      method: 'POST',
      headers: { ...as('owner'), 'content-type': 'application/json' },
      body: JSON.stringify({ goal }),
    });
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    return { id, done: worker.app.services.runs.advance(worker.app.localScope, id) };
  };
  const stored = (runId: string): Promise<RunEvent[]> =>
    worker.app.services.runs.events(worker.app.localScope, runId);
  const lastSeqOf = async (runId: string): Promise<number> =>
    (await worker.app.services.runs.get(worker.app.localScope, runId)).lastSeq;

  it('a client on replica A gets stored then live events of a run another process advances', async () => {
    const run = await startRun('list the workspace across replicas');
    await waitFor(async () => (await lastSeqOf(run.id)) >= 3, { what: 'a few stored events' });
    const before = await lastSeqOf(run.id);
    const [sse, socket] = await Promise.all([
      readSse(`${baseA}/v1/runs/${run.id}/events`, {}),
      readSocket(`${baseA.replace(/^http/, 'ws')}/v1/runs/${run.id}/ws`),
      run.done,
    ]);
    const events = await stored(run.id);
    expect(sse.ended).toBe(true);
    expect(seqs(sse.events)).toEqual(range(1, events.length));
    expect(sse.events.filter((event) => event.seq > 0)).toEqual(events);
    expect(socket.code).toBe(1000);
    expect(socket.events.filter((event) => event.seq > 0)).toEqual(events);
    // Most of the run came live, over Redis, between heartbeats.
    expect(events.length).toBeGreaterThan(before + 5);
    expect(sse.heartbeats).toBeGreaterThan(0);
  });

  it('a client that drops resumes on replica B with Last-Event-ID, or a WebSocket with fromSeq', async () => {
    const run = await startRun('list the workspace, then reconnect');
    const first = await readSse(`${baseA}/v1/runs/${run.id}/events`, {}, 4);
    expect(seqs(first.events)).toEqual([1, 2, 3, 4]);
    const [rest, socket] = await Promise.all([
      readSse(`${baseB}/v1/runs/${run.id}/events`, { 'last-event-id': '4' }),
      readSocket(`${baseB.replace(/^http/, 'ws')}/v1/runs/${run.id}/ws?fromSeq=5`),
      run.done,
    ]);
    const total = (await stored(run.id)).length;
    expect(seqs(rest.events)).toEqual(range(5, total));
    expect(rest.ended).toBe(true);
    expect(seqs(socket.events)).toEqual(range(5, total));
    expect(rest.events.at(-1)?.type).toBe('run-end');
  });

  it('ephemeral text-delta published by the worker reaches a client on another replica', async () => {
    const run = await startRun('list it and think aloud');
    const reading = readSse(`${baseB}/v1/runs/${run.id}/events`, {});
    // A few steps in: the subscription on replica B is confirmed by Redis by then.
    await waitFor(async () => (await lastSeqOf(run.id)) >= 4, { what: 'the run to be under way' });
    await worker.app.bus.publish([
      {
        type: 'text-delta',
        step: 1,
        delta: 'thinking across replicas',
        runId: run.id,
        seq: 0,
        at: Date.now(),
      },
    ]);
    await run.done;
    const read = await reading;
    expect(read.events.find((event) => event.type === 'text-delta')).toMatchObject({
      seq: 0,
      delta: 'thinking across replicas',
    });
    expect(seqs(read.events)).toEqual(range(1, (await stored(run.id)).length));
  });
});
