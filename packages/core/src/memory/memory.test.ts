import { describe, expect, it } from 'vitest';
import type { TranscriptEntry } from '../brains/brain.ts';
import type { Memory } from '../ports/memory-store.ts';
import type { EventPayload } from '../protocol/index.ts';
import { cosineSimilarity, embedText, fnv1a } from './embed.ts';
import { rankMemories, recallScore, recencyOf } from './recall-score.ts';
import { deriveLessons, episodeText, importanceOf } from './reflection.ts';
import { boundTranscript, boundTranscriptAsync, transcriptTokens } from './working-memory.ts';

describe('embedText', () => {
  it('is deterministic, 256-dimensional and unit length', () => {
    const vector = embedText('Analyze the source tree');
    expect(vector).toHaveLength(256);
    expect(vector).toEqual(embedText('Analyze the source tree'));
    expect(Math.hypot(...vector)).toBeCloseTo(1, 10);
    expect(embedText('').every((value) => value === 0)).toBe(true);
    expect(fnv1a('a')).toBe(0xe40c292c);
  });

  it('puts similar texts closer than unrelated ones', () => {
    const query = embedText('summarize the sales dataset and write a report');
    const similar = embedText('write a report summarizing the sales data set');
    const unrelated = embedText('book a flight to Lisbon next Tuesday');
    expect(cosineSimilarity(query, similar)).toBeGreaterThan(0.5);
    expect(cosineSimilarity(query, similar)).toBeGreaterThan(cosineSimilarity(query, unrelated) + 0.3);
  });
});

const memory = (id: string, text: string, importance: number, createdAt: number): Memory => ({
  id,
  orgId: 'org',
  agentId: 'agent',
  kind: 'episode',
  text,
  importance,
  embedding: null,
  runId: null,
  metadata: {},
  createdAt,
  lastAccessedAt: createdAt,
  accessCount: 0,
});

describe('recall scoring', () => {
  it('halves recency every half-life and weighs the parts', () => {
    expect(recencyOf(0, 1000)).toBe(1);
    expect(recencyOf(2000, 1000)).toBe(0.25);
    const score = recallScore({ relevance: 0.5, ageMs: 1000, importance: 1 }, { halfLifeMs: 1000 });
    expect(score.score).toBeCloseTo(0.6 * 0.5 + 0.2 * 0.5 + 0.2 * 1);
  });

  it('ranks relevant memories first, and recent or important ones among equals', () => {
    const day = 86_400_000;
    const now = 100 * day;
    const ranked = rankMemories(
      { text: 'analyze the source tree for TODOs', embedding: null, now, limit: 3 },
      [
        memory('old', 'analyzed the source tree and found TODOs', 0.5, now - 60 * day),
        memory('flight', 'booked a flight to Lisbon', 1, now),
        memory('new', 'analyzed the source tree and found TODOs', 0.5, now - day),
      ],
    );
    expect(ranked.map((item) => item.memory.id)).toEqual(['new', 'old', 'flight']);
    expect(ranked[0]?.recency ?? 0).toBeGreaterThan(ranked[1]?.recency ?? 1);
  });
});

const bigResult = { files: 120, lines: 45_210, summary: 'x'.repeat(400) };
const transcript: TranscriptEntry[] = [1, 2, 3, 4, 5, 6].flatMap((step): TranscriptEntry[] => [
  {
    kind: 'assistant',
    step,
    text: '',
    calls: [{ callId: `c${step}`, tool: 'analyze_source_tree', args: { path: '.' } }],
  },
  step === 2
    ? {
        kind: 'tool-result',
        step,
        callId: `c${step}`,
        tool: 'analyze_source_tree',
        ok: false,
        error: { code: 'timeout', message: 'too slow' },
      }
    : {
        kind: 'tool-result',
        step,
        callId: `c${step}`,
        tool: 'analyze_source_tree',
        ok: true,
        result: bigResult,
      },
]);

describe('working memory', () => {
  it('leaves a transcript within budget untouched', () => {
    expect(boundTranscript(transcript, { budgetTokens: 100_000 })).toEqual(transcript);
  });

  it('replaces the oldest entries by one extractive summary and fits the budget', () => {
    const bounded = boundTranscript(transcript, { budgetTokens: 600, keepRecent: 2 });
    expect(transcriptTokens(bounded)).toBeLessThanOrEqual(600);
    const [summary, firstKept] = bounded;
    expect(summary?.kind).toBe('summary');
    if (summary?.kind !== 'summary') return;
    expect(summary.text).toContain('analyze_source_tree');
    expect(summary.text).toContain('failed: timeout');
    expect(summary.text).toContain('lines=45210');
    expect(summary.coversSteps).toBeGreaterThanOrEqual(2);
    expect(firstKept?.kind).toBe('assistant');
    expect(bounded.at(-1)).toEqual(transcript.at(-1));
  });

  it('accepts a plugged-in asynchronous summarizer', async () => {
    const bounded = await boundTranscriptAsync(
      transcript,
      { budgetTokens: 600 },
      async (older) => `model summary of ${older.length}`,
    );
    expect(bounded[0]).toMatchObject({
      kind: 'summary',
      text: expect.stringMatching(/^model summary of \d+$/),
    });
  });
});

describe('reflection', () => {
  const end = (tool: string, ok: boolean): EventPayload => ({
    type: 'tool-call-end',
    step: 1,
    callId: 'c',
    tool,
    ok,
    latencyMs: 5,
    fromJournal: false,
    ...(ok ? {} : { error: { code: 'http_500', message: 'boom' } }),
  });
  const events: EventPayload[] = [
    { type: 'plan-update', step: 1, plan: ['check_urls', 'write_report'], reason: 'initial', reused: false },
    end('check_urls', false),
    end('check_urls', false),
    end('check_urls', false),
    end('check_urls', true),
    end('check_urls_get', true),
    end('write_report', true),
    {
      type: 'run-end',
      status: 'succeeded',
      answer: 'report at autonoma-report.md',
      usage: {
        steps: 6,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
        modelCalls: 0,
        toolCalls: 6,
        wallMs: 1,
      },
    },
  ];

  it('turns failure statistics into a lesson naming a better tool', () => {
    const lessons = deriveLessons(events, { goalText: 'check https://a.example and write a report' });
    expect(lessons).toHaveLength(1);
    expect(lessons[0]?.text).toMatch(
      /^tool check_urls failed 3 of 4 times on goals like ".*<url>.*"; prefer check_urls_get \(1 of 1 succeeded\)$/,
    );
  });

  it('writes an episode with goal, plan, steps, outcome and lessons', () => {
    const lessons = deriveLessons(events, { goalText: 'check urls' });
    const text = episodeText({ goal: 'check urls', events, lessons });
    expect(text).toContain('Plan: check_urls → write_report');
    expect(text).toContain('check_urls failed (http_500)');
    expect(text).toContain('Outcome: succeeded: report at autonoma-report.md');
    expect(text).toContain('Lessons: tool check_urls failed 3 of 4');
  });

  it('rates failures above routine successes', () => {
    expect(importanceOf({ status: 'failed' })).toBeGreaterThan(importanceOf({ status: 'succeeded' }));
    expect(importanceOf({ status: 'succeeded', lessons: 2 })).toBeCloseTo(0.6);
    expect(importanceOf({ status: 'failed', lessons: 10 })).toBe(1);
  });
});
