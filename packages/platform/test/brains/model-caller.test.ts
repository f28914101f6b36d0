import { AutonomaError } from '@autonoma/core';
import { SequentialIds } from '@autonoma/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmbedder, createModelBrain, createModelCaller } from '../../src/brains/model-brain.ts';
import { resolveEmbeddingSettings, resolveModelSettings } from '../../src/brains/model-settings.ts';
import { startAnthropicFixture } from '../fixtures/anthropic-server.ts';
import { isRecord, startOpenAiFixture, type Fixture, type FixtureScript } from '../fixtures/openai-server.ts';
import { createContext, RecordingClock } from './brain-context.ts';

const apiKey = 'sk-test-caller-SECRET-99';
let fixture: Fixture | undefined;

afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

async function startFixture(script: FixtureScript): Promise<Fixture> {
  fixture = await startOpenAiFixture(script);
  return fixture;
}

async function rejection(promise: Promise<unknown>): Promise<AutonomaError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AutonomaError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('model caller', () => {
  it('generates text with one non-streamed call and prices it', async () => {
    const server = await startFixture([
      (request) => {
        const messages = isRecord(request.body) ? request.body['messages'] : [];
        return {
          kind: 'text',
          text: `echo: ${JSON.stringify(messages)}`,
          usage: { inputTokens: 10, outputTokens: 4 },
        };
      },
    ]);
    const caller = createModelCaller(
      resolveModelSettings({ model: 'openai:gpt-4o-mini', baseUrl: `${server.url}/v1`, apiKey }),
    );
    const result = await caller.generate('Summarize: the sky is blue', new AbortController().signal);

    expect(result.text).toBe('echo: [{"role":"user","content":"Summarize: the sky is blue"}]');
    expect(result.usage).toEqual({ inputTokens: 10, outputTokens: 4 });
    // gpt-4o-mini: $0.15 / $0.60 per million.
    expect(result.costUsd).toBeCloseTo((10 * 0.15 + 4 * 0.6) / 1_000_000, 12);
    expect(result.priced).toBe(true);
    expect(isRecord(server.requests[0]?.body) && server.requests[0].body['stream']).not.toBe(true);
  });

  it('honours Retry-After, then throws a secret-free error when retries run out', async () => {
    const server = await startFixture([
      { kind: 'http-error', status: 429, headers: { 'retry-after': '3' } },
      { kind: 'http-error', status: 500, message: `upstream broke, key ${apiKey}` },
    ]);
    const clock = new RecordingClock();
    const caller = createModelCaller(
      resolveModelSettings({
        model: 'openai:gpt-4o-mini',
        baseUrl: `${server.url}/v1`,
        apiKey,
        maxRetries: 1,
      }),
      { clock },
    );
    const error = await rejection(caller.generate('hi'));

    expect(clock.sleeps).toEqual([3_000]);
    expect(error.code).toBe('model_unavailable');
    expect(error.message).toBe('the model provider answered HTTP 500: upstream broke, key [redacted]');
    expect(JSON.stringify(error)).not.toContain(apiKey);
    expect(error.details).toEqual({ attempts: 2, providerStatus: 500 });
  });

  it('reports a malformed answer as such, without retrying', async () => {
    const server = await startFixture([{ kind: 'malformed' }, { kind: 'text', text: 'never' }]);
    const caller = createModelCaller(
      resolveModelSettings({ model: 'openai:gpt-4o', baseUrl: `${server.url}/v1`, apiKey }),
    );
    const error = await rejection(caller.generate('hi'));
    expect(error.code).toBe('model_malformed');
    expect(server.requests).toHaveLength(1);
  });
});

describe('model caller over Anthropic', () => {
  it('generates text from a non-streamed messages answer', async () => {
    fixture = await startAnthropicFixture([
      { kind: 'text', text: 'A short haiku.', usage: { inputTokens: 20, outputTokens: 6 } },
    ]);
    const caller = createModelCaller(
      resolveModelSettings({
        model: 'anthropic:claude-haiku-4-5',
        baseUrl: `${fixture.url}/v1`,
        anthropicApiKey: apiKey,
      }),
    );
    const result = await caller.generate('Write a haiku');
    expect(result).toMatchObject({
      text: 'A short haiku.',
      usage: { inputTokens: 20, outputTokens: 6 },
      priced: true,
    });
    expect(fixture.requests[0]?.body).toMatchObject({
      model: 'claude-haiku-4-5',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Write a haiku' }] }],
    });
  });
});

describe('embedder', () => {
  it('returns one deterministic vector per text', async () => {
    const server = await startFixture([]);
    const embedder = createEmbedder(
      resolveEmbeddingSettings({
        model: 'openai:text-embedding-3-small',
        baseUrl: `${server.url}/v1`,
        apiKey,
      }),
    );
    const [first, second, again] = await embedder.embed([
      'deploy the api',
      'water the plants',
      'deploy the api',
    ]);

    expect(first).toHaveLength(8);
    expect(again).toEqual(first);
    expect(second).not.toEqual(first);
    expect(server.requests[0]).toMatchObject({
      path: '/v1/embeddings',
      body: {
        model: 'text-embedding-3-small',
        input: ['deploy the api', 'water the plants', 'deploy the api'],
      },
    });
    expect(await embedder.embed([])).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });
});

describe('openai-compatible servers', () => {
  it('work without an API key and send no Authorization header', async () => {
    const server = await startFixture([
      { kind: 'text', text: 'local answer', usage: { inputTokens: 9, outputTokens: 3 } },
    ]);
    const brain = createModelBrain(
      resolveModelSettings({ model: 'openai-compatible:llama3.1:8b', baseUrl: `${server.url}/v1` }),
      { ids: new SequentialIds() },
    );
    const recorded = createContext();

    expect(brain.name).toBe('openai-compatible:llama3.1:8b');
    expect(await brain.decide(recorded.context)).toEqual({
      kind: 'finish',
      status: 'succeeded',
      answer: 'local answer',
    });
    expect(server.requests[0]?.headers['authorization']).toBeUndefined();
    expect(server.requests[0]?.body).toMatchObject({ model: 'llama3.1:8b', stream: true });
    expect(recorded.eventsOf('model-call-end')[0]).toMatchObject({
      usage: { inputTokens: 9, outputTokens: 3 },
      costUsd: 0,
    });
  });
});
