import { describe, expect, it } from 'vitest';
import type { SseMessage } from './sse-parser.ts';
import { createSseParser } from './sse-parser.ts';

const parseAll = (chunks: string[]): SseMessage[] => {
  const messages: SseMessage[] = [];
  const feed = createSseParser((message) => messages.push(message));
  for (const chunk of chunks) feed(chunk);
  return messages;
};

describe('createSseParser', () => {
  it('dispatches messages at blank lines, with their id and event, skipping comments', () => {
    expect(
      parseAll([
        ': stream of run events\n\nid: 1\ndata: {"seq":1}\n\n: heartbeat\n\nevent: stream-error\ndata: {}\n\n',
      ]),
    ).toEqual([
      { event: 'message', data: '{"seq":1}', id: '1' },
      { event: 'stream-error', data: '{}' },
    ]);
  });

  it('reassembles messages split anywhere, with any line ending, and joins multi-line data', () => {
    const text = 'id: 7\r\ndata: first\r\ndata: second\r\n\r\ndata:x\rid:8\r\rdata: pending';
    const byCharacter = parseAll([...text]);
    expect(byCharacter).toEqual([
      { event: 'message', data: 'first\nsecond', id: '7' },
      { event: 'message', data: 'x', id: '8' },
    ]);
    expect(parseAll([text])).toEqual(byCharacter);
  });

  it('holds an unfinished message back until its blank line', () => {
    expect(parseAll(['data: half'])).toEqual([]);
  });
});
