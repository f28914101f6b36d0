/**
 * Live streams over real HTTP: `GET /v1/runs/:id/events` (SSE) and `GET /v1/runs/:id/ws` (WebSocket).
 * A client that connects late gets the stored events, then the live ones, with no gap and no duplicate
 * by `seq`; a reconnect resumes exactly where it left off; the stream ends after `run-end`.
 */
import type { RunEvent } from '@autonoma/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSseParser } from '../../src/cli/remote/sse-parser.ts';
import type { Fixture } from '../fixtures/openai-server.ts';
import { startOpenAiFixture } from '../fixtures/openai-server.ts';
import { waitFor } from '../support/wait-for.ts';
import type { ApiHarness, StoreName } from './api-harness.ts';
import { as, startApi, tokens } from './api-harness.ts';

const toolMessages = (body: unknown): number =>
  ((body as { messages?: { role?: string }[] }).messages ?? []).filter((message) => message.role === 'tool')
    .length;

/** What an SSE client read. */
interface SseRead {
  status: number;
  events: RunEvent[];
  ids: string[];
  heartbeats: number;
  /** The server ended the stream (rather than the client stopping). */
  ended: boolean;
}

/** Reads an SSE stream until it ends or `stopAfter` events were read. */
async function readSse(
  url: string,
  headers: Record<string, string> = {},
  stopAfter = Infinity,
): Promise<SseRead> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { ...as('owner'), ...headers }, signal: controller.signal });
  const read: SseRead = { status: response.status, events: [], ids: [], heartbeats: 0, ended: false };
  if (!response.body || response.status !== 200) return read;
  // A client that stops after `stopAfter` events has seen no more, whatever else its last read held.
  const parse = createSseParser((message) => {
    if (read.events.length >= stopAfter) return;
    if (message.id !== undefined) read.ids.push(message.id);
    read.events.push(JSON.parse(message.data) as RunEvent);
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

const seqs = (events: readonly RunEvent[]): number[] =>
  events.filter((event) => event.seq > 0).map((event) => event.seq);
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, index) => from + index);

describe.each<StoreName>(['pglite', 'postgres'])('run event streams over HTTP [%s]', (store) => {
  let model: Fixture;
  let harness: ApiHarness;
  let base: string;

  beforeAll(async () => {
    // Six slow tool steps, then the answer: a run that is still going when clients connect.
    model = await startOpenAiFixture((request) =>
      toolMessages(request.body) >= (JSON.stringify(request.body).includes('carefully') ? 1 : 6)
        ? { kind: 'text', text: 'all listed', delayMs: 150 }
        : { kind: 'tool-calls', delayMs: 150, calls: [{ name: 'fs_list', input: {} }] },
    );
    harness = await startApi(store, {
      env: { AUTONOMA_MODEL: 'openai-compatible:fixture', AUTONOMA_MODEL_BASE_URL: `${model.url}/v1` },
      server: { heartbeatMs: 100 },
    });
    base = await harness.api.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await harness?.close();
    await model?.close();
  });

  /** Creates a run through the API and advances it in the background, as a worker would. */
  const startRun = async (goal: string): Promise<{ id: string; done: Promise<unknown> }> => {
    const response = await fetch(`${base}/v1/runs`, {
      method: 'POST',
      headers: { ...as('owner'), 'content-type': 'application/json' },
      body: JSON.stringify({ goal }),
    });
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as { id: string };
    const { app } = harness;
    return { id, done: app.services.runs.advance(app.localScope, id) };
  };
  const storedEvents = (runId: string): Promise<RunEvent[]> =>
    harness.app.services.runs.events(harness.app.localScope, runId);
  const lastSeqOf = async (runId: string): Promise<number> =>
    (await harness.app.services.runs.get(harness.app.localScope, runId)).lastSeq;

  it('SSE: a late client gets the stored, then the live events, with no gap or duplicate, and the end', async () => {
    const run = await startRun('list the workspace');
    await waitFor(async () => (await lastSeqOf(run.id)) >= 4, { what: 'a few stored events' });
    const storedBefore = await lastSeqOf(run.id);
    const read = await readSse(`${base}/v1/runs/${run.id}/events`);
    await run.done;
    expect(read.status).toBe(200);
    expect(read.ended).toBe(true);
    const stored = await storedEvents(run.id);
    expect(seqs(read.events)).toEqual(range(1, stored.length));
    expect(read.events.filter((event) => event.seq > 0)).toEqual(stored);
    expect(read.events.at(-1)?.type).toBe('run-end');
    expect(read.ids).toEqual(seqs(read.events).map(String));
    // The run was still going when the client connected: the rest came live, between heartbeats.
    expect(stored.length).toBeGreaterThan(storedBefore + 2);
    expect(read.heartbeats).toBeGreaterThan(0);
  });

  it('SSE: a reconnect with Last-Event-ID (or fromSeq) resumes exactly', async () => {
    const run = await startRun('list the workspace again');
    const first = await readSse(`${base}/v1/runs/${run.id}/events`, {}, 3);
    expect(seqs(first.events)).toEqual([1, 2, 3]);
    const rest = await readSse(`${base}/v1/runs/${run.id}/events`, { 'last-event-id': '3' });
    await run.done;
    const total = (await storedEvents(run.id)).length;
    expect(seqs(rest.events)).toEqual(range(4, total));
    expect(rest.ended).toBe(true);
    const fromSeq = await readSse(`${base}/v1/runs/${run.id}/events?fromSeq=${total - 1}`);
    expect(seqs(fromSeq.events)).toEqual([total - 1, total]);
    // A client that already has the whole log of a finished run gets an empty stream that ends.
    const caughtUp = await readSse(`${base}/v1/runs/${run.id}/events`, { 'last-event-id': String(total) });
    expect(caughtUp).toMatchObject({ status: 200, events: [], ended: true });
  });

  it('SSE: ephemeral text-delta events reach live subscribers, without an id', async () => {
    const run = await startRun('list it once more');
    const reading = readSse(`${base}/v1/runs/${run.id}/events`);
    await waitFor(async () => (await lastSeqOf(run.id)) >= 2, { what: 'the run to start' });
    await harness.app.bus.publish([
      { type: 'text-delta', step: 1, delta: 'thinking…', runId: run.id, seq: 0, at: Date.now() },
    ]);
    await run.done;
    const read = await reading;
    const delta = read.events.find((event) => event.type === 'text-delta');
    expect(delta).toMatchObject({ seq: 0, delta: 'thinking…' });
    expect(read.ids).not.toContain('0');
    expect(seqs(read.events)).toEqual(range(1, (await storedEvents(run.id)).length));
  });

  it('SSE: refuses an unknown run (404) and a missing credential (401) before streaming', async () => {
    const missing = await fetch(`${base}/v1/runs/run_missing/events`, { headers: as('owner') });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const anonymous = await fetch(`${base}/v1/runs/run_missing/events`);
    expect(anonymous.status).toBe(401);
  });

  /** Reads a WebSocket until the server closes it. */
  const readSocket = (url: string): Promise<{ events: RunEvent[]; code: number }> =>
    new Promise((resolve, reject) => {
      const events: RunEvent[] = [];
      // Node's WebSocket cannot send headers; the test server also takes its token this way.
      const socket = new WebSocket(url, { headers: { authorization: `Bearer ${tokens.owner}` } } as never);
      socket.addEventListener('message', (message) =>
        events.push(JSON.parse(String(message.data)) as RunEvent),
      );
      socket.addEventListener('close', (close) => resolve({ events, code: close.code }));
      socket.addEventListener('error', () => reject(new Error('websocket error')));
    });

  it('WebSocket: stored then live events, no gap or duplicate, closed after run-end; fromSeq resumes', async () => {
    const run = await startRun('list over a socket');
    await waitFor(async () => (await lastSeqOf(run.id)) >= 3, { what: 'a few stored events' });
    const wsBase = base.replace(/^http/, 'ws');
    const read = await readSocket(`${wsBase}/v1/runs/${run.id}/ws`);
    await run.done;
    const stored = await storedEvents(run.id);
    expect(read.code).toBe(1000);
    expect(read.events.filter((event) => event.seq > 0)).toEqual(stored);
    const resumed = await readSocket(`${wsBase}/v1/runs/${run.id}/ws?fromSeq=5`);
    expect(seqs(resumed.events)).toEqual(range(5, stored.length));
  });

  it('WebSocket: an unknown run is refused before the upgrade', async () => {
    const wsBase = base.replace(/^http/, 'ws');
    await expect(readSocket(`${wsBase}/v1/runs/run_missing/ws`)).rejects.toThrow('websocket error');
  });

  it('an approval through the API: the stream shows the request, the answer lets the run finish', async () => {
    const agent = await fetch(`${base}/v1/agents`, {
      method: 'POST',
      headers: { ...as('owner'), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'careful', tools: ['fs_list'], approval: { tools: ['fs_list'] } }),
    });
    expect(agent.status).toBe(201);
    const created = await fetch(`${base}/v1/runs`, {
      method: 'POST',
      headers: { ...as('owner'), 'content-type': 'application/json' },
      body: JSON.stringify({ goal: 'list carefully', agent: 'careful' }),
    });
    const { id } = (await created.json()) as { id: string };
    const { app } = harness;
    const paused = await app.services.runs.advance(app.localScope, id);
    expect(paused.run.status).toBe('waiting_approval');
    const events = await readSse(
      `${base}/v1/runs/${id}/events`,
      { accept: 'text/event-stream' },
      paused.run.lastSeq,
    );
    const request = events.events.find((event) => event.type === 'approval-request');
    expect(request).toMatchObject({ tool: 'fs_list' });
    const callId = (request as { callId: string }).callId;
    const approved = await fetch(`${base}/v1/runs/${id}/approvals/${callId}`, {
      method: 'POST',
      headers: { ...as('owner'), 'content-type': 'application/json' },
      body: JSON.stringify({ approve: true }),
    });
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ changed: true, run: { id, status: 'queued' } });
    expect(harness.runnable.some((run) => run.id === id && run.status === 'queued')).toBe(true);
    const finished = await app.services.runs.advance(app.localScope, id);
    expect(finished.run.status).toBe('succeeded');
  });
});
