import { describe, expect, it } from 'vitest';
import { deriveGoalSpec, noOfflineSkillMessage, pathsIn } from './derive-goal.ts';
import { goalSignature } from './goal-signature.ts';
import { parseGoalSpec } from './goal-spec.ts';

describe('parseGoalSpec', () => {
  it('parses JSON text and decoded values, deduplicating facts', () => {
    expect(parseGoalSpec('{"facts":["a"," a ","b"],"inputs":{"path":"x"}}')).toEqual({
      ok: true,
      spec: { facts: ['a', 'b'], inputs: { path: 'x' } },
    });
    expect(parseGoalSpec({ facts: ['a'] })).toEqual({ ok: true, spec: { facts: ['a'], inputs: {} } });
  });

  it('explains what is wrong', () => {
    const broken = parseGoalSpec('{facts:');
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.message).toMatch(/not valid JSON/);
    const empty = parseGoalSpec({ facts: [] });
    expect(empty.ok).toBe(false);
    if (!empty.ok) expect(empty.message).toMatch(/facts/);
    expect(parseGoalSpec({ facts: ['a'], extra: 1 }).ok).toBe(false);
  });
});

describe('goalSignature', () => {
  it('maps goals that differ in paths, numbers, quotes, URLs, order and spelling to one signature', () => {
    const a = goalSignature('Analyse the source tree in ./src and write a report');
    const b = goalSignature('write a report and analyze the source tree in lib/core');
    expect(a).toBe(b);
    expect(goalSignature('Check https://a.example/x and "hello" 42 times')).toBe(
      goalSignature('check http://b.example and "other words" 7 times'),
    );
  });

  it('keeps different goals apart', () => {
    expect(goalSignature('summarize the dataset sales.csv')).not.toBe(
      goalSignature('analyze the source tree'),
    );
  });

  it('contains placeholders instead of the variable parts', () => {
    expect(goalSignature('fetch https://x.example/a/b in ./out 3 times')).toBe(
      '<num> <path> <url> fetch tim',
    );
  });
});

describe('deriveGoalSpec', () => {
  it('derives source analysis and report facts with the path', () => {
    expect(deriveGoalSpec('analyse the source tree in ./src and write a report')).toEqual({
      ok: true,
      spec: { facts: ['source_analyzed', 'report_written'], inputs: { path: './src' } },
    });
  });

  it('derives dataset summaries, URL checks and report paths', () => {
    expect(deriveGoalSpec('Summarize examples/sales.csv and write a report to out/summary.md')).toEqual({
      ok: true,
      spec: {
        facts: ['dataset_summarized', 'report_written'],
        inputs: { dataset: 'examples/sales.csv', reportPath: 'out/summary.md' },
      },
    });
    expect(deriveGoalSpec('check https://a.example/x, https://b.example for broken links')).toEqual({
      ok: true,
      spec: { facts: ['urls_checked'], inputs: { urls: ['https://a.example/x', 'https://b.example'] } },
    });
  });

  it('defaults the source path to the workspace', () => {
    expect(deriveGoalSpec('find the TODOs in the code')).toMatchObject({
      ok: true,
      spec: { facts: ['source_analyzed'], inputs: { path: '.' } },
    });
  });

  it('fails with a clear message when nothing matches', () => {
    expect(deriveGoalSpec('book me a flight to Lisbon')).toEqual({
      ok: false,
      message: noOfflineSkillMessage,
    });
    expect(deriveGoalSpec('write a report')).toEqual({ ok: false, message: noOfflineSkillMessage });
  });

  it('finds path-like tokens but not URLs or abbreviations', () => {
    expect(pathsIn('see ./a, lib/b/ and c.csv (e.g. https://x.example/y)')).toEqual([
      './a',
      'lib/b/',
      'c.csv',
    ]);
  });
});
