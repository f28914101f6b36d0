/**
 * The conversation routes and `POST /v1/runs/:id/input` through the API (`app.inject`), with the model
 * brain against the loopback OpenAI fixture, on PGlite and PostgreSQL. Runs are advanced by the test,
 * as a worker would advance their jobs: a thread of three turns whose third answer uses a fact of the
 * first; a message sent while the previous turn runs waits behind it (202) and starts when it ends;
 * another organization's conversation is 404; a viewer reads but cannot post; a question is answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fixture, FixtureReply, RecordedRequest } from '../fixtures/openai-server.ts';
import { startOpenAiFixture } from '../fixtures/openai-server.ts';
import type { ApiHarness, StoreName } from '../api/api-harness.ts';
import { as, expectErrorShape, startApi } from '../api/api-harness.ts';

interface Message {
  role?: string;
  content?: unknown;
}

const textOf = (message: Message): string =>
  typeof message.content === 'string' ? message.content : JSON.stringify(message.content ?? '');
const messagesOf = (request: RecordedRequest): Message[] =>
  (request.body as { messages?: Message[] }).messages ?? [];

/** A model that remembers nothing itself: it can only use what the request carries. */
function chatModel(request: RecordedRequest): FixtureReply {
  const all = messagesOf(request);
  const thread = all.filter((message) => message.role === 'user' || message.role === 'assistant');
  const latest = textOf(thread.at(-1) ?? {});
  // The answer to `ask_user` comes back as its result: `{"answer":"…"}`.
  const answer = all
    .map(textOf)
    .join('\n')
    .match(/"answer":"(\w+)"/)?.[1];
  if (answer !== undefined) return { kind: 'text', text: `Your colour is ${answer}.` };
  if (/ask me my colour/i.test(latest))
    return { kind: 'tool-calls', calls: [{ name: 'ask_user', input: { question: 'Which colour?' } }] };
  if (/what is my name/i.test(latest)) {
    const told = thread
      .map(textOf)
      .join('\n')
      .match(/my name is (\w+)/i)?.[1];
    return { kind: 'text', text: told ? `Your name is ${told}.` : 'I do not know your name.' };
  }
  if (/my name is/i.test(latest)) return { kind: 'text', text: 'Nice to meet you.' };
  return { kind: 'text', text: `You said: ${latest}` };
}

interface SentBody {
  turn: { seq: number; runId: string; message: string };
  run: { id: string; status: string } | null;
}
interface DetailBody {
  id: string;
  turns: number;
  started: number;
  messages: { role: string; seq: number; text: string | null; runId: string; status?: string }[];
}

describe.each<StoreName>(['pglite', 'postgres'])('conversations through the API [%s]', (store) => {
  let model: Fixture;
  let harness: ApiHarness;

  beforeAll(async () => {
    model = await startOpenAiFixture(chatModel);
    harness = await startApi(store, {
      env: { AUTONOMA_MODEL: 'openai-compatible:fixture', AUTONOMA_MODEL_BASE_URL: `${model.url}/v1` },
    });
  });
  afterAll(async () => {
    await harness?.close();
    await model?.close();
  });

  const call = async (
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    payload?: Record<string, unknown>,
    headers: Record<string, string> = as('owner'),
  ) => {
    const response = await harness.api.inject({
      method,
      url,
      headers,
      ...(payload === undefined ? {} : { payload }),
    });
    return { status: response.statusCode, headers: response.headers, body: response.body };
  };
  const json = <T>(body: string): T => JSON.parse(body) as T;
  /** Advances a run to its end or its wait, as a worker would. */
  const advance = async (runId: string) => {
    const { app } = harness;
    return (await app.services.runs.advanceTree(app.localScope, runId)).run;
  };
  const createConversation = async (title: string): Promise<string> => {
    const created = await call('POST', '/v1/conversations', { title });
    expect(created.status).toBe(201);
    const { id } = json<{ id: string }>(created.body);
    expect(created.headers['location']).toBe(`/v1/conversations/${id}`);
    return id;
  };

  it('three turns: each run sees the thread, and the third answers with a fact from the first', async () => {
    const id = await createConversation('names');
    for (const text of ['My name is Ada.', 'What is 2 + 2?', 'What is my name?']) {
      const sent = await call('POST', `/v1/conversations/${id}/messages`, { text });
      expect(sent.status).toBe(201);
      const body = json<SentBody>(sent.body);
      expect(body.run).toMatchObject({ id: body.turn.runId, status: 'queued' });
      expect(sent.headers['location']).toBe(`/v1/runs/${body.turn.runId}`);
      expect((await advance(body.turn.runId)).status).toBe('succeeded');
    }
    const detail = await call('GET', `/v1/conversations/${id}`);
    expect(detail.status).toBe(200);
    const conversation = json<DetailBody>(detail.body);
    expect(conversation).toMatchObject({ id, turns: 3, started: 3 });
    expect(conversation.messages.map((message) => [message.role, message.text])).toEqual([
      ['user', 'My name is Ada.'],
      ['agent', 'Nice to meet you.'],
      ['user', 'What is 2 + 2?'],
      ['agent', 'You said: What is 2 + 2?'],
      ['user', 'What is my name?'],
      ['agent', 'Your name is Ada.'],
    ]);
    // `last` pages the thread from its end.
    const last = json<DetailBody>((await call('GET', `/v1/conversations/${id}?last=1`)).body);
    expect(last.messages.map((message) => message.text)).toEqual(['What is my name?', 'Your name is Ada.']);
    const listed = json<{ items: { id: string }[] }>((await call('GET', '/v1/conversations')).body);
    expect(listed.items.map((item) => item.id)).toContain(id);
  });

  it('a message sent while the previous turn runs is queued behind it (202), never interleaved', async () => {
    const id = await createConversation('queue');
    const first = json<SentBody>(
      (await call('POST', `/v1/conversations/${id}/messages`, { text: 'My name is Grace.' })).body,
    );
    const second = await call('POST', `/v1/conversations/${id}/messages`, { text: 'What is my name?' });
    expect(second.status).toBe(202);
    const waiting = json<SentBody>(second.body);
    expect(waiting.run).toBeNull();
    // Its run does not exist until the first ends.
    expect((await call('GET', `/v1/runs/${waiting.turn.runId}`)).status).toBe(404);
    const pending = json<DetailBody>((await call('GET', `/v1/conversations/${id}`)).body);
    expect(pending.messages.at(-1)).toMatchObject({ role: 'agent', status: 'pending', text: null });
    expect(pending.started).toBe(1);

    const requestsBefore = model.requests.length;
    expect((await advance(first.turn.runId)).status).toBe('succeeded');
    // Only the first turn's run called the model while it ran.
    expect(model.requests.length).toBe(requestsBefore + 1);
    const queued = json<{ status: string; conversationId: string }>(
      (await call('GET', `/v1/runs/${waiting.turn.runId}`)).body,
    );
    expect(queued).toMatchObject({ status: 'queued', conversationId: id });
    expect((await advance(waiting.turn.runId)).status).toBe('succeeded');
    // The second turn's model call came after the first's answer, and carried it.
    const roles = messagesOf(model.requests.at(-1) as RecordedRequest).map((message) => message.role);
    expect(roles).toEqual(['system', 'user', 'assistant', 'user']);
    const done = json<DetailBody>((await call('GET', `/v1/conversations/${id}`)).body);
    expect(done.messages.map((message) => message.text)).toEqual([
      'My name is Grace.',
      'Nice to meet you.',
      'What is my name?',
      'Your name is Grace.',
    ]);
  });

  it("another organization's conversation is 404 on every route; its list holds none of ours", async () => {
    const id = await createConversation('private thread');
    const stranger = as('stranger');
    for (const [method, url, payload] of [
      ['GET', `/v1/conversations/${id}`, undefined],
      ['POST', `/v1/conversations/${id}/messages`, { text: 'hello' }],
      ['DELETE', `/v1/conversations/${id}`, undefined],
    ] as const) {
      const answer = await call(method, url, payload, stranger);
      expect(answer.status, `${method} ${url}`).toBe(404);
      expect(expectErrorShape(answer.body).code).toBe('not_found');
    }
    const theirs = await call('GET', '/v1/conversations', undefined, stranger);
    expect(theirs.status).toBe(200);
    expect(theirs.body).not.toContain(id);
    expect(theirs.body).not.toContain('private thread');
    // Still ours, untouched.
    expect(json<DetailBody>((await call('GET', `/v1/conversations/${id}`)).body).turns).toBe(0);
  });

  it('a viewer reads conversations but cannot create one or post a message (403)', async () => {
    const id = await createConversation('read only');
    const viewer = as('viewer');
    expect((await call('GET', '/v1/conversations', undefined, viewer)).status).toBe(200);
    expect((await call('GET', `/v1/conversations/${id}`, undefined, viewer)).status).toBe(200);
    const create = await call('POST', '/v1/conversations', { title: 'x' }, viewer);
    expect(create.status).toBe(403);
    expect(expectErrorShape(create.body).code).toBe('forbidden');
    const post = await call('POST', `/v1/conversations/${id}/messages`, { text: 'hi' }, viewer);
    expect(post.status).toBe(403);
    expect(json<DetailBody>((await call('GET', `/v1/conversations/${id}`)).body).turns).toBe(0);
  });

  it('POST /v1/runs/:id/input answers the question a run waits on; the answer reaches the model', async () => {
    const created = await call('POST', '/v1/runs', { goal: 'Ask me my colour, then tell me it.' });
    expect(created.status).toBe(201);
    const runId = json<{ id: string }>(created.body).id;
    const paused = await advance(runId);
    expect(paused.status, String(paused.reason)).toBe('waiting_input');
    const events = json<{ items: { type: string; outcome?: { question?: string } }[] }>(
      (
        await call('GET', `/v1/runs/${runId}/events`, undefined, {
          ...as('owner'),
          accept: 'application/json',
        })
      ).body,
    );
    expect(events.items.some((event) => event.outcome?.question === 'Which colour?')).toBe(true);

    // Before an answer: refused to a viewer, unknown to another organization, invalid when empty.
    expect((await call('POST', `/v1/runs/${runId}/input`, { answer: 'red' }, as('viewer'))).status).toBe(403);
    const foreign = await call('POST', `/v1/runs/${runId}/input`, { answer: 'red' }, as('stranger'));
    expect(foreign.status).toBe(404);
    expect((await call('POST', `/v1/runs/${runId}/input`, { answer: '' })).status).toBe(400);

    const answered = await call('POST', `/v1/runs/${runId}/input`, { answer: 'teal' });
    expect(answered.status).toBe(200);
    expect(json<{ status: string }>(answered.body).status).toBe('queued');
    expect(harness.runnable.map((run) => run.id)).toContain(runId);
    // Answered once: a second answer finds nothing asked.
    const again = await call('POST', `/v1/runs/${runId}/input`, { answer: 'red' });
    expect(again.status).toBe(409);
    expect(expectErrorShape(again.body).code).toBe('not_waiting_input');

    const ended = await advance(runId);
    expect(ended.status).toBe('succeeded');
    expect(ended.answer).toBe('Your colour is teal.');
    const run = json<{ status: string; answer: string }>((await call('GET', `/v1/runs/${runId}`)).body);
    expect(run).toMatchObject({ status: 'succeeded', answer: 'Your colour is teal.' });
  });
});
