/**
 * Conversations through the real model brain against the loopback OpenAI fixture, on the embedded
 * store: each turn's run sees the earlier turns, a message sent while the previous turn runs waits
 * behind it, and a turn left waiting by a crash is started by the sweep.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import type { Fixture, FixtureReply, RecordedRequest } from '../fixtures/openai-server.ts';
import { startOpenAiFixture } from '../fixtures/openai-server.ts';
import { appWithModel } from '../support/model-app.ts';

interface Message {
  role?: string;
  content?: unknown;
}

const textOf = (message: Message): string =>
  typeof message.content === 'string' ? message.content : JSON.stringify(message.content ?? '');

/** A model that remembers nothing itself: it can only use what the request carries. */
function chatModel(request: RecordedRequest): FixtureReply {
  const messages = ((request.body as { messages?: Message[] }).messages ?? []).filter(
    (message) => message.role === 'user' || message.role === 'assistant',
  );
  const latest = textOf(messages.at(-1) ?? {});
  if (/what is my name/i.test(latest)) {
    const told = messages
      .map(textOf)
      .join('\n')
      .match(/my name is (\w+)/i)?.[1];
    return { kind: 'text', text: told ? `Your name is ${told}.` : 'I do not know your name.' };
  }
  if (/my name is/i.test(latest)) return { kind: 'text', text: 'Nice to meet you.' };
  return { kind: 'text', text: `You said: ${latest}` };
}

describe('conversations [pglite]', () => {
  let model: Fixture | undefined;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    await model?.close();
  });

  it('answers the third turn with a fact from the first', async () => {
    model = await startOpenAiFixture(chatModel);
    app = await appWithModel(model);
    const scope = app.localScope;
    const { conversations, runs } = app.services;
    const conversation = await conversations.create(scope, { title: 'names' });
    for (const text of ['My name is Ada.', 'What is 2 + 2?', 'What is my name?']) {
      const sent = await conversations.send(scope, conversation.id, text, { enqueue: false });
      expect(sent.run?.id).toBe(sent.turn.runId);
      const ended = await runs.advanceTree(scope, sent.turn.runId);
      expect(ended.run.status).toBe('succeeded');
    }
    const { messages } = await conversations.messages(scope, conversation.id);
    expect(messages.map((message) => [message.role, message.text])).toEqual([
      ['user', 'My name is Ada.'],
      ['agent', 'Nice to meet you.'],
      ['user', 'What is 2 + 2?'],
      ['agent', 'You said: What is 2 + 2?'],
      ['user', 'What is my name?'],
      ['agent', 'Your name is Ada.'],
    ]);
    // The third turn's model call carried the earlier turns as a thread.
    const last = model.requests.at(-1) as RecordedRequest;
    const roles = ((last.body as { messages: Message[] }).messages ?? []).map((message) => message.role);
    expect(roles).toEqual(['system', 'user', 'assistant', 'user', 'assistant', 'user']);
  }, 300_000);

  it('queues a message sent while the previous turn runs behind it, never interleaved', async () => {
    model = await startOpenAiFixture(chatModel);
    app = await appWithModel(model);
    const scope = app.localScope;
    const { conversations, runs } = app.services;
    const conversation = await conversations.create(scope);
    const first = await conversations.send(scope, conversation.id, 'My name is Grace.', { enqueue: false });
    const second = await conversations.send(scope, conversation.id, 'What is my name?');
    expect(first.run).not.toBeNull();
    expect(second.run).toBeNull();
    // The second turn has no run yet: it cannot start before the first ends.
    await expect(runs.get(scope, second.turn.runId)).rejects.toMatchObject({ code: 'not_found' });
    const pending = await conversations.messages(scope, conversation.id);
    expect(pending.messages.at(-1)).toMatchObject({ role: 'agent', status: 'pending' });

    await runs.advanceTree(scope, first.turn.runId);
    // The first run's end started the second turn, with its job for a worker.
    const queued = await runs.get(scope, second.turn.runId);
    expect(queued).toMatchObject({ status: 'queued', conversationId: conversation.id });
    const ended = await runs.advanceTree(scope, second.turn.runId);
    expect(ended.run.answer).toBe('Your name is Grace.');
    expect((await conversations.get(scope, conversation.id)).started).toBe(2);
  }, 300_000);

  it('starts a turn left waiting when its predecessor ended unseen (a crash), once', async () => {
    model = await startOpenAiFixture(chatModel);
    app = await appWithModel(model);
    const scope = app.localScope;
    const { conversations, runs } = app.services;
    const conversation = await conversations.create(scope);
    const first = await conversations.send(scope, conversation.id, 'hello', { enqueue: false });
    const second = await conversations.send(scope, conversation.id, 'again');
    // The first run ends behind the service's back, as when its process died right after its end.
    const run = await runs.get(scope, first.turn.runId);
    await app.database.stores.runs.transition(
      scope.orgId,
      run.id,
      { status: run.status, version: run.version },
      { status: 'cancelled', reason: 'process died', now: Date.now() },
    );
    expect(await conversations.resumeStalled({ orgId: scope.orgId })).toBe(1);
    expect(await conversations.resumeStalled({ orgId: scope.orgId })).toBe(0);
    expect(await runs.get(scope, second.turn.runId)).toMatchObject({ status: 'queued' });
  }, 300_000);

  it('refuses an empty message and an unknown conversation with clear errors', async () => {
    model = await startOpenAiFixture(chatModel);
    app = await appWithModel(model);
    const scope = app.localScope;
    const conversation = await app.services.conversations.create(scope);
    await expect(app.services.conversations.send(scope, conversation.id, '   ')).rejects.toMatchObject({
      code: 'invalid_input',
      message: 'the message is empty',
    });
    await expect(app.services.conversations.send(scope, 'conv_nope', 'hi')).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(
      app.services.conversations.get({ orgId: 'org_other', actor: 'x' }, conversation.id),
    ).rejects.toMatchObject({ code: 'not_found' });
  });
});
