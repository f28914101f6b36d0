import { describe, expect, it } from 'vitest';
import { buildModelPrompt, providerCallId } from '../../src/brains/model-prompt.ts';
import { createContext } from './brain-context.ts';

describe('model prompt', () => {
  it('makes call ids every provider accepts, deterministically', () => {
    expect(providerCallId('run_1:3:0')).toBe('run_1_3_0');
    const long = providerCallId('run_0mwu29g6je71ab7d0612a4a:1234:17-and-more');
    expect(long).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(providerCallId('run_0mwu29g6je71ab7d0612a4a:1234:17-and-more')).toBe(long);
    expect(providerCallId('run_0mwu29g6je71ab7d0612a4a:1234:18-and-more')).not.toBe(long);
  });

  it('answers a call left without a result, and keeps notes and summaries in order', () => {
    const { messages } = buildModelPrompt(
      createContext({
        transcript: [
          { kind: 'summary', text: 'Listed the folder.', coversSteps: 2 },
          {
            kind: 'assistant',
            step: 3,
            text: 'Reading.',
            calls: [{ callId: 'run_1:3:0', tool: 'fs_read', args: { path: 'a' } }],
          },
          { kind: 'note', step: 3, text: 'The operator denied fs_read.' },
        ],
      }).context,
    );
    expect(messages.map((message) => message.role)).toEqual(['user', 'user', 'assistant', 'tool', 'user']);
    expect(messages[1]).toEqual({ role: 'user', content: 'Summary of steps 1–2: Listed the folder.' });
    expect(messages[3]).toEqual({
      role: 'tool',
      content: [
        {
          type: 'tool-result',
          toolCallId: 'run_1_3_0',
          toolName: 'fs_read',
          output: { type: 'error-text', value: 'no result was recorded for this call' },
        },
      ],
    });
    expect(messages[4]).toEqual({ role: 'user', content: 'Note: The operator denied fs_read.' });
  });

  it('offers no tools when the agent may call none', () => {
    expect(buildModelPrompt(createContext({ tools: [] }).context).tools).toBeUndefined();
  });
});
