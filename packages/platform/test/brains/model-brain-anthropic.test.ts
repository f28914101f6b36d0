import { SequentialIds } from '@autonoma/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createModelBrain } from '../../src/brains/model-brain.ts';
import { resolveModelSettings, type ModelSettingsInput } from '../../src/brains/model-settings.ts';
import { startAnthropicFixture, type Fixture, type FixtureScript } from '../fixtures/anthropic-server.ts';
import { isRecord, type RecordedRequest } from '../fixtures/openai-server.ts';
import { createContext, readFileTranscript, RecordingClock } from './brain-context.ts';

const apiKey = 'sk-ant-test-DO-NOT-LEAK-77';
let fixture: Fixture | undefined;

afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

async function setUp(
  script: FixtureScript,
  input: Partial<ModelSettingsInput> = {},
): Promise<{ brain: ReturnType<typeof createModelBrain>; clock: RecordingClock; fixture: Fixture }> {
  fixture = await startAnthropicFixture(script);
  const clock = new RecordingClock();
  const settings = resolveModelSettings({
    model: 'anthropic:claude-sonnet-4-5',
    baseUrl: `${fixture.url}/v1`,
    anthropicApiKey: apiKey,
    maxRetries: 2,
    ...input,
  });
  const brain = createModelBrain(settings, { clock, ids: new SequentialIds(), random: () => 0.5 });
  return { brain, clock, fixture };
}

function messagesOf(request: RecordedRequest | undefined): Record<string, unknown>[] {
  const messages = isRecord(request?.body) ? request.body['messages'] : undefined;
  return Array.isArray(messages) ? messages.filter(isRecord) : [];
}

describe('model brain over Anthropic messages', () => {
  it('assembles a streamed tool_use block from input_json_delta pieces', async () => {
    const { brain, fixture } = await setUp([
      {
        kind: 'tool-calls',
        text: 'I will read it.',
        calls: [{ id: 'toolu_01', name: 'fs_read', input: { path: 'docs/notes.txt' } }],
        argumentChunkSize: 3,
        usage: { inputTokens: 1_000, outputTokens: 100 },
      },
    ]);
    const recorded = createContext();
    const decision = await brain.decide(recorded.context);

    expect(decision).toEqual({
      kind: 'act',
      calls: [{ tool: 'fs_read', args: { path: 'docs/notes.txt' }, providerCallId: 'toolu_01' }],
      text: 'I will read it.',
    });
    expect(
      recorded
        .eventsOf('text-delta')
        .map((event) => event.delta)
        .join(''),
    ).toBe('I will read it.');
    const [end] = recorded.eventsOf('model-call-end');
    expect(end).toMatchObject({
      model: 'anthropic:claude-sonnet-4-5',
      usage: { inputTokens: 1_000, outputTokens: 100 },
      finishReason: 'tool-calls',
    });
    // claude-sonnet-4-5: $3 per million input tokens, $15 per million output tokens.
    expect(end?.costUsd).toBeCloseTo(0.003 + 0.0015, 10);

    const request = fixture.requests[0];
    expect(request?.path).toBe('/v1/messages');
    expect(request?.headers['x-api-key']).toBe(apiKey);
    expect(isRecord(request?.body) && request.body['stream']).toBe(true);
    expect(JSON.stringify(isRecord(request?.body) ? request.body['system'] : null)).toContain('Autonoma');
    expect(JSON.stringify(recorded.events)).not.toContain(apiKey);
  });

  it('sends tool results back as tool_result blocks keyed by the transcript call id', async () => {
    const { brain, fixture } = await setUp([
      { kind: 'text', text: 'It says hello.' },
      { kind: 'text', text: 'No file.' },
    ]);
    const succeeded = await brain.decide(
      createContext({ step: 2, transcript: readFileTranscript({ ok: true, value: { text: 'hello' } }) })
        .context,
    );
    expect(succeeded).toEqual({ kind: 'finish', status: 'succeeded', answer: 'It says hello.' });
    await brain.decide(
      createContext({ step: 2, transcript: readFileTranscript({ ok: false, code: 'not_found' }) }).context,
    );

    const [, assistant, results] = messagesOf(fixture.requests[0]);
    expect(assistant).toMatchObject({
      role: 'assistant',
      content: [{ type: 'tool_use', id: 'run_1_1_0', name: 'fs_read', input: { path: 'notes.txt' } }],
    });
    expect(results).toMatchObject({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'run_1_1_0', content: '{"text":"hello"}' }],
    });
    const [, , failed] = messagesOf(fixture.requests[1]);
    expect(failed).toMatchObject({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'run_1_1_0', is_error: true, content: 'not_found: no such file' },
      ],
    });
  });

  it('retries an overloaded (529) answer, then succeeds', async () => {
    const { brain, clock, fixture } = await setUp([
      { kind: 'http-error', status: 529, message: 'Overloaded' },
      { kind: 'text', text: 'fine now' },
    ]);
    expect(await brain.decide(createContext().context)).toMatchObject({
      status: 'succeeded',
      answer: 'fine now',
    });
    expect(clock.sleeps).toHaveLength(1);
    expect(fixture.requests).toHaveLength(2);
  });

  it('honours Retry-After on a 429', async () => {
    const { brain, clock } = await setUp([
      { kind: 'http-error', status: 429, headers: { 'retry-after': '4' } },
      { kind: 'text', text: 'ok' },
    ]);
    await brain.decide(createContext().context);
    expect(clock.sleeps).toEqual([4_000]);
  });

  it('turns a malformed stream into a failed decision without throwing', async () => {
    const { brain } = await setUp([{ kind: 'malformed' }]);
    const recorded = createContext();
    const decision = await brain.decide(recorded.context);
    expect(decision).toMatchObject({ kind: 'finish', status: 'failed' });
    expect(recorded.eventsOf('model-call-end')[0]?.error?.code).toBe('model_malformed');
  });
});
