import { describe, expect, it, vi } from 'vitest';
import type { RunEvent } from '../src/api/types.ts';
import { ApiError } from '../src/api/client.ts';
import { SseParser } from '../src/api/sse.ts';
import { fakeApi, json } from './fake-api.ts';

const owner = { email: 'owner@example.com', password: 'pw', role: 'owner' } as const;

/** A response streaming `chunks` as the body of an event stream. */
const eventStream = (chunks: string[]): Response =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
        controller.close();
      },
    }),
    { headers: { 'content-type': 'text/event-stream' } },
  );

const sse = (event: Partial<RunEvent> & { seq: number }): string =>
  `${event.seq > 0 ? `id: ${event.seq}\n` : ''}data: ${JSON.stringify({ runId: 'run_1', at: 0, ...event })}\n\n`;

describe('ApiClient', () => {
  it('keeps the access token in memory only, and sends it as a bearer token', async () => {
    const api = fakeApi([owner]);
    api.route('GET /v1/runs', () => json({ items: [], nextCursor: null }));
    await api.client.signIn(owner.email, owner.password);
    await api.client.get('/v1/runs', { status: 'running', agent: undefined });
    const list = api.requests.at(-1);
    expect(list?.headers.get('authorization')).toMatch(/^Bearer at_\d+$/);
    expect(list?.query.toString()).toBe('status=running');
    expect(localStorage.length + sessionStorage.length).toBe(0);
    expect(document.cookie).toBe('');
  });

  it('renews an access token the server stopped accepting, once for many requests at a time', async () => {
    const api = fakeApi([owner]);
    api.route('GET /v1/agents', () => json({ items: [] }));
    await api.client.signIn(owner.email, owner.password);
    // The server rotates the session (another tab refreshed it): the token in memory is now refused.
    await api.fetch('/v1/auth/session/refresh', { method: 'POST' });
    await Promise.all([
      api.client.get('/v1/agents'),
      api.client.get('/v1/agents'),
      api.client.get('/v1/agents'),
    ]);
    const refreshes = api.requests.filter((request) => request.path === '/v1/auth/session/refresh');
    // One by the "other tab", one by this client for its three refused requests.
    expect(refreshes).toHaveLength(2);
  });

  it('says the session expired when the server ended it, and forgets the token', async () => {
    const api = fakeApi([owner]);
    api.route('GET /v1/agents', () => json({ items: [] }));
    const expired = vi.fn();
    api.client.onSessionExpired = expired;
    await api.client.signIn(owner.email, owner.password);
    api.endSession();
    const failure = await api.client.get('/v1/agents').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).status).toBe(401);
    expect(expired).toHaveBeenCalledOnce();
    expect(api.client.signedIn).toBe(false);
  });

  it('turns error answers into ApiError with the code and request id', async () => {
    const api = fakeApi([owner]);
    await api.client.signIn(owner.email, owner.password);
    const failure = (await api.client
      .request('POST', '/v1/nowhere')
      .catch((error: unknown) => error)) as ApiError;
    expect(failure).toMatchObject({ status: 404, code: 'not_found', requestId: 'req_test' });
  });

  it('follows a run’s events, resuming a dropped stream after the last seq without repeats', async () => {
    const api = fakeApi([owner]);
    const asked: string[] = [];
    api.route('GET /v1/runs/run_1/events', (request) => {
      const last = request.headers.get('last-event-id') ?? '';
      asked.push(last);
      if (last === '0')
        // Dropped after two events, without run-end.
        return eventStream([
          ': connected\n\n',
          sse({ type: 'run-start', seq: 1 } as never),
          sse({ type: 'step-start', seq: 2, step: 1 } as never).slice(0, 20),
          sse({ type: 'step-start', seq: 2, step: 1 } as never).slice(20),
        ]);
      return eventStream([
        sse({ type: 'step-start', seq: 2, step: 1 } as never),
        sse({ type: 'text-delta', seq: 0, step: 1, delta: 'Hel' } as never),
        sse({ type: 'run-end', seq: 3, status: 'succeeded' } as never),
      ]);
    });
    await api.client.signIn(owner.email, owner.password);
    const seen: string[] = [];
    const ended = vi.fn();
    await api.client.streamRunEvents('run_1', {
      afterSeq: 0,
      signal: new AbortController().signal,
      retryMs: 1,
      onEvent: (event) => seen.push(`${event.type}:${event.seq}`),
      onEnd: ended,
    });
    expect(asked).toEqual(['0', '2']);
    expect(seen).toEqual(['run-start:1', 'step-start:2', 'text-delta:0', 'run-end:3']);
    expect(ended).toHaveBeenCalledOnce();
  });

  it('stops following a run the caller may not see', async () => {
    const api = fakeApi([owner]);
    api.route('GET /v1/runs/run_x/events', () =>
      json({ error: { code: 'not_found', message: 'no run' } }, 404),
    );
    await api.client.signIn(owner.email, owner.password);
    const onError = vi.fn();
    await api.client.streamRunEvents('run_x', {
      afterSeq: 0,
      signal: new AbortController().signal,
      onEvent: () => undefined,
      onError,
    });
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ status: 404, code: 'not_found' }));
  });
});

describe('SseParser', () => {
  it('parses messages split anywhere, with CRLF, comments, multi-line data and named events', () => {
    const parser = new SseParser();
    const stream = ': hello\r\nid: 7\r\ndata: {"a":\r\ndata: 1}\r\n\r\nevent: stream-error\ndata: gone\n\n';
    const messages = [...stream].flatMap((character) => parser.push(character));
    expect(messages).toEqual([
      { event: 'message', data: '{"a":\n1}', id: '7' },
      { event: 'stream-error', data: 'gone', id: undefined },
    ]);
  });
});
