import { SequentialIds } from '@autonoma/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createModelBrain, type ModelBrainOptions } from '../../src/brains/model-brain.ts';
import { resolveModelSettings, type ModelSettingsInput } from '../../src/brains/model-settings.ts';
import {
  isRecord,
  startOpenAiFixture,
  type Fixture,
  type FixtureScript,
  type RecordedRequest,
} from '../fixtures/openai-server.ts';
import { createContext, readFileTool, readFileTranscript, RecordingClock } from './brain-context.ts';

const apiKey = 'sk-test-DO-NOT-LEAK-4242';
let fixture: Fixture | undefined;

afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

async function setUp(
  script: FixtureScript,
  input: Partial<ModelSettingsInput> = {},
  options: ModelBrainOptions = {},
): Promise<{ brain: ReturnType<typeof createModelBrain>; clock: RecordingClock; fixture: Fixture }> {
  fixture = await startOpenAiFixture(script);
  const clock = new RecordingClock();
  const settings = resolveModelSettings({
    model: 'openai:gpt-4.1-mini',
    baseUrl: `${fixture.url}/v1`,
    openaiApiKey: apiKey,
    maxRetries: 2,
    ...input,
  });
  const brain = createModelBrain(settings, {
    clock,
    ids: new SequentialIds(),
    random: () => 0.5,
    ...options,
  });
  return { brain, clock, fixture };
}

function messagesOf(request: RecordedRequest | undefined): Record<string, unknown>[] {
  const messages = isRecord(request?.body) ? request.body['messages'] : undefined;
  return Array.isArray(messages) ? messages.filter(isRecord) : [];
}

describe('model brain over OpenAI chat completions', () => {
  it('turns a tool call into an act decision, then reads the tool result back to the model', async () => {
    const { brain, fixture } = await setUp([
      { kind: 'tool-calls', calls: [{ id: 'call_abc', name: 'fs_read', input: { path: 'notes.txt' } }] },
      (request) => {
        const result = messagesOf(request).find((message) => message['role'] === 'tool');
        const content = typeof result?.['content'] === 'string' ? JSON.parse(result['content']) : {};
        return { kind: 'text', text: `The file says: ${String(content.text)}` };
      },
    ]);

    const first = createContext();
    const decision = await brain.decide(first.context);
    expect(decision).toEqual({
      kind: 'act',
      calls: [{ tool: 'fs_read', args: { path: 'notes.txt' }, providerCallId: 'call_abc' }],
    });

    const second = createContext({
      step: 2,
      transcript: readFileTranscript({ ok: true, value: { text: 'hello' } }),
    });
    expect(await brain.decide(second.context)).toEqual({
      kind: 'finish',
      status: 'succeeded',
      answer: 'The file says: hello',
    });

    const firstBody = fixture.requests[0]?.body;
    expect(isRecord(firstBody) && firstBody['stream']).toBe(true);
    expect(JSON.stringify(isRecord(firstBody) ? firstBody['tools'] : null)).toContain('"name":"fs_read"');
    const [system, goal, assistant, tool] = messagesOf(fixture.requests[1]);
    expect(system).toMatchObject({ role: 'system' });
    expect(goal).toEqual({ role: 'user', content: 'Goal: Read notes.txt and tell me what it says' });
    expect(assistant).toMatchObject({
      role: 'assistant',
      tool_calls: [{ id: 'run_1_1_0', function: { name: 'fs_read', arguments: '{"path":"notes.txt"}' } }],
    });
    expect(tool).toEqual({ role: 'tool', tool_call_id: 'run_1_1_0', content: '{"text":"hello"}' });
  });

  it('tells the model a tool failed', async () => {
    const { brain, fixture } = await setUp([{ kind: 'text', text: 'The file does not exist.' }]);
    await brain.decide(
      createContext({ transcript: readFileTranscript({ ok: false, code: 'not_found' }) }).context,
    );
    const tool = messagesOf(fixture.requests[0]).find((message) => message['role'] === 'tool');
    // The AI SDK wraps an error result for OpenAI as `{"error": "..."}`.
    expect(JSON.parse(String(tool?.['content']))).toEqual({ error: 'not_found: no such file' });
  });

  it('streams text deltas as events and reports usage, cost and the full text', async () => {
    const { brain } = await setUp([
      {
        kind: 'text',
        text: 'Hello there, world',
        chunks: ['Hel', 'lo there', ', world'],
        usage: { inputTokens: 1_000, outputTokens: 500 },
      },
    ]);
    const recorded = createContext();
    const decision = await brain.decide(recorded.context);

    expect(decision).toEqual({ kind: 'finish', status: 'succeeded', answer: 'Hello there, world' });
    expect(recorded.events.map((event) => event.type)).toEqual([
      'model-call-start',
      'text-delta',
      'text-delta',
      'text-delta',
      'model-call-end',
      'decision',
    ]);
    expect(recorded.eventsOf('text-delta').map((event) => event.delta)).toEqual([
      'Hel',
      'lo there',
      ', world',
    ]);
    const [end] = recorded.eventsOf('model-call-end');
    expect(end).toMatchObject({
      step: 1,
      callId: 'mcall_1',
      model: 'openai:gpt-4.1-mini',
      usage: { inputTokens: 1_000, outputTokens: 500 },
      finishReason: 'stop',
      text: 'Hello there, world',
    });
    // gpt-4.1-mini: $0.40 per million input tokens, $1.60 per million output tokens.
    expect(end?.costUsd).toBeCloseTo(0.0004 + 0.0008, 10);
    expect(end?.error).toBeUndefined();
  });

  it('records one decision per step after its retries, with a bounded reason and learned scores', async () => {
    const long = `${'why '.repeat(700)}end`;
    const { brain } = await setUp(
      [
        { kind: 'http-error', status: 503, message: 'overloaded' },
        { kind: 'tool-calls', text: long, calls: [{ name: 'fs_read', input: { path: 'notes.txt' } }] },
      ],
      {},
      {
        stats: async (context) => [
          {
            agentId: context.run.agentId,
            signature: 'sig',
            action: 'fs_read',
            trials: 4,
            successes: 3,
            totalReward: 2.4,
            totalCostUsd: 0,
            totalLatencyMs: 40,
            updatedAt: 0,
          },
        ],
      },
    );
    const listTool = { ...readFileTool, name: 'fs_list', description: 'List files' };
    const recorded = createContext({ tools: [readFileTool, listTool] });
    await brain.decide(recorded.context);

    expect(recorded.eventsOf('model-call-end')).toHaveLength(2);
    const decisions = recorded.eventsOf('decision');
    expect(decisions).toHaveLength(1);
    const [decision] = decisions;
    expect(decision?.options).toEqual([
      {
        id: 'fs_read',
        label: 'fs_read',
        score: 0.6,
        detail: { learned: true, trials: 4, successes: 3, learnedCost: 1.25 },
      },
      { id: 'fs_list', label: 'fs_list', score: null, detail: { learned: false } },
      { id: '#answer', label: 'answer (no tool call)', score: null, detail: { learned: false } },
    ]);
    expect(decision).toMatchObject({
      step: 1,
      about: 'next-action',
      chosen: 'fs_read',
      reasonSource: 'model',
    });
    expect(decision?.reason.startsWith(long.slice(0, 2_000))).toBe(true);
    expect(decision?.reason).toMatch(/… \[cut at 2000 of 2803 characters\]$/);
    expect(decision?.scoring).toMatch(/learned for fs_read; absent \(no calls yet\) for fs_list/);
  });

  it('records scores as absent, saying why, when the statistics cannot be read', async () => {
    const { brain } = await setUp(
      [{ kind: 'text', text: 'Done.' }],
      {},
      {
        stats: async () => {
          throw new Error('store unreachable');
        },
      },
    );
    const recorded = createContext();
    expect(await brain.decide(recorded.context)).toMatchObject({ kind: 'finish', status: 'succeeded' });
    const [decision] = recorded.eventsOf('decision');
    expect(decision).toMatchObject({ chosen: '#answer', reason: 'Done.', reasonSource: 'model' });
    expect(decision?.options.every((option) => option.score === null)).toBe(true);
    expect(decision?.scoring).toContain('no score is learned: the learning statistics could not be read');
    expect(decision?.scoring).not.toContain('store unreachable');
  });

  it('prices a model by the caller\u2019s override', async () => {
    const { brain } = await setUp(
      [{ kind: 'text', text: 'ok', usage: { inputTokens: 2_000_000, outputTokens: 0 } }],
      {
        prices: { 'openai:gpt-4.1-mini': { input: 1, output: 1 } },
      },
    );
    const recorded = createContext();
    await brain.decide(recorded.context);
    expect(recorded.eventsOf('model-call-end')[0]?.costUsd).toBe(2);
  });

  it('waits as long as Retry-After says on a 429, then succeeds', async () => {
    const { brain, clock, fixture } = await setUp([
      { kind: 'http-error', status: 429, message: 'Rate limit reached', headers: { 'retry-after': '7' } },
      { kind: 'text', text: 'done' },
    ]);
    const recorded = createContext();
    expect(await brain.decide(recorded.context)).toEqual({
      kind: 'finish',
      status: 'succeeded',
      answer: 'done',
    });

    expect(clock.sleeps).toEqual([7_000]);
    expect(fixture.requests).toHaveLength(2);
    const ends = recorded.eventsOf('model-call-end');
    expect(ends.map((end) => end.error?.code)).toEqual(['rate_limited', undefined]);
    expect(ends[0]?.error?.message).toContain('retrying in 7000 ms per Retry-After');
  });

  it('reads Retry-After as an HTTP date', async () => {
    const { brain, clock } = await setUp([
      {
        kind: 'http-error',
        status: 503,
        headers: { 'retry-after': new Date(Date.UTC(2026, 0, 1, 0, 0, 30)).toUTCString() },
      },
      { kind: 'text', text: 'done' },
    ]);
    // The recording clock starts at 2026-01-01T00:00:00Z.
    await brain.decide(createContext().context);
    expect(clock.sleeps).toEqual([30_000]);
  });

  it('gives up without waiting when Retry-After exceeds the longest allowed wait', async () => {
    const { brain, clock, fixture } = await setUp(
      [{ kind: 'http-error', status: 429, headers: { 'retry-after': '3600' } }],
      {},
      { maxDelayMs: 60_000 },
    );
    const decision = await brain.decide(createContext().context);
    expect(decision).toMatchObject({ kind: 'finish', status: 'failed' });
    expect(clock.sleeps).toEqual([]);
    expect(fixture.requests).toHaveLength(1);
  });

  it('retries a 500 with exponential backoff and jitter, then succeeds', async () => {
    const { brain, clock, fixture } = await setUp(
      [
        { kind: 'http-error', status: 500, message: 'boom' },
        { kind: 'http-error', status: 502, message: 'bad gateway' },
        { kind: 'text', text: 'recovered' },
      ],
      {},
      { baseDelayMs: 1_000, random: () => 1 },
    );
    const recorded = createContext();
    expect(await brain.decide(recorded.context)).toEqual({
      kind: 'finish',
      status: 'succeeded',
      answer: 'recovered',
    });
    // random() = 1 takes the top of each jitter window: 1000 ms, then 2000 ms.
    expect(clock.sleeps).toEqual([1_000, 2_000]);
    expect(fixture.requests).toHaveLength(3);
    expect(recorded.eventsOf('model-call-start').map((event) => event.callId)).toEqual([
      'mcall_1',
      'mcall_2',
      'mcall_3',
    ]);
  });

  it('stops after the configured retries and fails the decision with the reason', async () => {
    const { brain, clock, fixture } = await setUp(
      () => ({ kind: 'http-error', status: 500, message: 'still down' }),
      {
        maxRetries: 2,
      },
    );
    const decision = await brain.decide(createContext().context);
    expect(decision).toEqual({
      kind: 'finish',
      status: 'failed',
      answer:
        'Model call failed [model_unavailable] (after 3 attempts): the model provider answered HTTP 500: still down',
    });
    expect(clock.sleeps).toHaveLength(2);
    expect(fixture.requests).toHaveLength(3);
  });

  it('does not retry a 400', async () => {
    const { brain, clock, fixture } = await setUp([
      { kind: 'http-error', status: 400, message: "Invalid 'messages': bad" },
      { kind: 'text', text: 'never reached' },
    ]);
    const recorded = createContext();
    const decision = await brain.decide(recorded.context);
    expect(decision).toMatchObject({ kind: 'finish', status: 'failed' });
    expect(decision.kind === 'finish' && decision.answer).toContain('HTTP 400');
    expect(fixture.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(recorded.eventsOf('model-call-end')[0]?.error?.code).toBe('model_rejected');
  });

  it('does not retry a 401 and names the failure', async () => {
    const { brain, fixture } = await setUp([
      { kind: 'http-error', status: 401, message: 'Incorrect API key' },
    ]);
    const recorded = createContext();
    await brain.decide(recorded.context);
    expect(fixture.requests).toHaveLength(1);
    expect(recorded.eventsOf('model-call-end')[0]?.error?.code).toBe('model_unauthorized');
  });

  it('turns a malformed stream into a failed decision with a clear reason, without throwing', async () => {
    const { brain, fixture } = await setUp([{ kind: 'malformed' }, { kind: 'text', text: 'never reached' }]);
    const recorded = createContext();
    const decision = await brain.decide(recorded.context);
    expect(decision).toMatchObject({ kind: 'finish', status: 'failed' });
    expect(decision.kind === 'finish' && decision.answer).toMatch(
      /^Model call failed \[model_malformed\]: .*malformed/,
    );
    expect(recorded.eventsOf('model-call-end')[0]?.error?.code).toBe('model_malformed');
    expect(fixture.requests).toHaveLength(1);
  });

  it('fails the decision when the model sends neither text nor a tool call', async () => {
    const { brain } = await setUp([{ kind: 'text', text: '', chunks: [] }]);
    const decision = await brain.decide(createContext().context);
    expect(decision).toMatchObject({ kind: 'finish', status: 'failed' });
    expect(decision.kind === 'finish' && decision.answer).toContain('neither text nor a tool call');
  });

  it('fails the decision when the model does not answer in time', async () => {
    const { brain, fixture } = await setUp([{ kind: 'text', text: 'too late', delayMs: 10_000 }], {
      timeoutMs: 200,
      maxRetries: 0,
    });
    const recorded = createContext();
    const decision = await brain.decide(recorded.context);
    expect(decision).toEqual({
      kind: 'finish',
      status: 'failed',
      answer: 'Model call failed [model_timeout]: the model did not answer within 200 ms',
    });
    expect(recorded.eventsOf('model-call-end')[0]?.error?.code).toBe('model_timeout');
    expect(fixture.requests).toHaveLength(1);
  });

  it('retries after a timeout', async () => {
    const { brain, clock } = await setUp(
      [
        { kind: 'text', text: 'too late', delayMs: 10_000 },
        { kind: 'text', text: 'in time' },
      ],
      { timeoutMs: 200, maxRetries: 1 },
    );
    expect(await brain.decide(createContext().context)).toMatchObject({
      status: 'succeeded',
      answer: 'in time',
    });
    expect(clock.sleeps).toHaveLength(1);
  });

  it('retries a dropped connection', async () => {
    const { brain, fixture } = await setUp([{ kind: 'drop' }, { kind: 'text', text: 'back again' }]);
    expect(await brain.decide(createContext().context)).toMatchObject({
      status: 'succeeded',
      answer: 'back again',
    });
    expect(fixture.requests).toHaveLength(2);
  });

  it('stops promptly when the run is cancelled, without retrying', async () => {
    const controller = new AbortController();
    const { brain, fixture } = await setUp(
      (_request, index) => {
        if (index === 0) controller.abort(new Error('cancelled by user'));
        return { kind: 'text', text: 'late', delayMs: 10_000 };
      },
      { timeoutMs: 60_000 },
    );
    const recorded = createContext({ signal: controller.signal });
    const decision = await brain.decide(recorded.context);
    expect(decision).toMatchObject({ kind: 'finish', status: 'failed' });
    expect(recorded.eventsOf('model-call-end')[0]?.error?.code).toBe('model_cancelled');
    expect(fixture.requests).toHaveLength(1);
  });

  it('never puts the API key in events or decisions, even when the provider echoes it', async () => {
    const { brain, fixture } = await setUp(
      (request) => ({
        kind: 'http-error',
        status: 400,
        message: `Invalid key: ${request.headers['authorization'] ?? ''}`,
      }),
      { maxRetries: 0 },
    );
    const recorded = createContext();
    const decision = await brain.decide(recorded.context);

    expect(fixture.requests[0]?.headers['authorization']).toBe(`Bearer ${apiKey}`);
    const everything = JSON.stringify({ events: recorded.events, decision });
    expect(everything).toContain('Invalid key: Bearer [redacted]');
    expect(everything).not.toContain(apiKey);
  });

  it('sends the agent instructions, recalled memories, a reusable plan and learned costs as the system prompt', async () => {
    const { brain, fixture } = await setUp([{ kind: 'text', text: 'ok' }]);
    await brain.decide(
      createContext({
        instructions: 'You are a careful file clerk.',
        recalled: [
          {
            id: 'mem_1',
            kind: 'episode',
            text: 'notes.txt lives in the docs folder',
            score: 1,
            relevance: 1,
            recency: 1,
            importance: 1,
          },
        ],
        reusablePlan: {
          id: 'plan_1',
          orgId: 'org_1',
          agentId: 'agent_1',
          signature: 'read-notes',
          goalText: 'Read notes.md',
          embedding: null,
          steps: [{ tool: 'fs_read', args: { path: 'docs/notes.md' } }],
          successes: 3,
          failures: 0,
          createdAt: 0,
          updatedAt: 0,
        },
        learnedCosts: new Map([['fs_read', 0.25]]),
      }).context,
    );
    const [system] = messagesOf(fixture.requests[0]);
    const content = String(system?.['content']);
    expect(content).toContain('You are a careful file clerk.');
    expect(content).toContain('notes.txt lives in the docs folder');
    expect(content).toContain('1. fs_read {"path":"docs/notes.md"}');
    expect(content).toContain('- fs_read: 0.250');
  });
});
