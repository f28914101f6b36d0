/**
 * Delegation through the real model brain and the real `delegate` tool, against the loopback OpenAI
 * fixture, on the embedded store: children run at once, the parent resumes once with their answers,
 * usage rolls up exactly, and cancelling the parent cancels its running children.
 */
import type { RunEvent } from '@autonoma/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import type { Fixture, FixtureReply, RecordedRequest } from '../fixtures/openai-server.ts';
import { startOpenAiFixture } from '../fixtures/openai-server.ts';
import { appWithModel } from '../support/model-app.ts';
import { waitFor } from '../support/wait-for.ts';

interface Message {
  role?: string;
  content?: unknown;
}

const messagesOf = (request: RecordedRequest): Message[] =>
  (request.body as { messages?: Message[] }).messages ?? [];

/** The goal a model request is about: the text after `Goal: ` in its first user message. */
const goalOf = (request: RecordedRequest): string => {
  const user = messagesOf(request).find((message) => message.role === 'user');
  const text = typeof user?.content === 'string' ? user.content : JSON.stringify(user?.content ?? '');
  return /Goal: ([^\n"]+)/.exec(text)?.[1] ?? '';
};

const toolResults = (request: RecordedRequest): string[] =>
  messagesOf(request)
    .filter((message) => message.role === 'tool')
    .map((message) => JSON.stringify(message.content));

describe('delegation with the model brain [pglite]', () => {
  let model: Fixture | undefined;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    await model?.close();
  });

  it('runs three children at once and resumes the parent once, with their answers and their usage', async () => {
    const childWindows: { goal: string; start: number; end: number }[] = [];
    model = await startOpenAiFixture(async (request): Promise<FixtureReply> => {
      const goal = goalOf(request);
      if (goal === 'write the report') {
        const results = toolResults(request);
        if (results.length === 0) {
          return {
            kind: 'tool-calls',
            calls: ['A', 'B', 'C'].map((part) => ({
              name: 'delegate',
              input: { goal: `audit part ${part}` },
            })),
            usage: { inputTokens: 100, outputTokens: 10 },
          };
        }
        return {
          kind: 'text',
          text: `report from: ${results.join(' | ')}`,
          usage: { inputTokens: 50, outputTokens: 5 },
        };
      }
      const start = Date.now();
      // Each child's model call takes a while: children that run at once overlap.
      await new Promise((resolve) => setTimeout(resolve, 400));
      childWindows.push({ goal, start, end: Date.now() });
      return { kind: 'text', text: `finding for ${goal}`, usage: { inputTokens: 20, outputTokens: 2 } };
    });
    app = await appWithModel(model);
    const scope = app.localScope;
    const run = await app.services.runs.start(scope, { goal: 'write the report' });
    const result = await app.services.runs.advanceTree(scope, run.id);

    expect(result.run.status).toBe('succeeded');
    for (const part of ['A', 'B', 'C']) expect(result.run.answer).toContain(`finding for audit part ${part}`);
    // The children overlapped: each started before any of them ended.
    expect(childWindows).toHaveLength(3);
    const lastStart = Math.max(...childWindows.map((window) => window.start));
    const firstEnd = Math.min(...childWindows.map((window) => window.end));
    expect(lastStart).toBeLessThan(firstEnd);
    // The parent asked its model twice: to delegate, then once resumed, with the three answers.
    const parentRequests = model.requests.filter((request) => goalOf(request) === 'write the report');
    expect(parentRequests).toHaveLength(2);
    const answers = toolResults(parentRequests[1] as RecordedRequest).join(' ');
    for (const part of ['A', 'B', 'C']) expect(answers).toContain(`finding for audit part ${part}`);
    const events: RunEvent[] = await app.services.runs.events(scope, run.id);
    expect(events.filter((event) => event.type === 'delegate-start')).toHaveLength(3);
    expect(events.filter((event) => event.type === 'delegate-end')).toHaveLength(3);
    expect(events.filter((event) => event.type === 'step-start')).toHaveLength(2);
    // Usage rolls up exactly: the parent's two model calls and steps plus each child's one.
    expect(result.run.usage).toMatchObject({
      steps: 2 + 3,
      modelCalls: 2 + 3,
      inputTokens: 100 + 50 + 3 * 20,
      outputTokens: 10 + 5 + 3 * 2,
    });
    const children = await app.services.runs.list(scope, { parentRunId: run.id });
    expect(children.map((child) => [child.status, child.depth])).toEqual([
      ['succeeded', 1],
      ['succeeded', 1],
      ['succeeded', 1],
    ]);
  }, 300_000);

  it('cancels the running children with the parent', async () => {
    model = await startOpenAiFixture(async (request): Promise<FixtureReply> => {
      if (goalOf(request) === 'coordinate') {
        return {
          kind: 'tool-calls',
          calls: [1, 2].map((index) => ({ name: 'delegate', input: { goal: `slow part ${index}` } })),
        };
      }
      // The children's model calls never finish on their own.
      return { kind: 'text', text: 'too late', delayMs: 600_000 };
    });
    app = await appWithModel(model);
    const scope = app.localScope;
    const services = app.services;
    const run = await services.runs.start(scope, { goal: 'coordinate' });
    const advancing = services.runs.advanceTree(scope, run.id);
    const fixture = model;
    await waitFor(
      () => fixture.requests.filter((request) => goalOf(request).startsWith('slow')).length === 2,
      {
        timeoutMs: 60_000,
        what: 'both children calling their model',
      },
    );
    await services.runs.cancel(scope, run.id, 'the user changed their mind');
    const ended = await advancing;
    expect(ended.run.status).toBe('cancelled');
    const children = await services.runs.list(scope, { parentRunId: run.id });
    expect(children.map((child) => child.status)).toEqual(['cancelled', 'cancelled']);
    for (const child of children) {
      const log = await services.runs.events(scope, child.id);
      expect(log.at(-1)).toMatchObject({ type: 'run-end', status: 'cancelled' });
    }
  }, 300_000);
});
