import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UrlCheck } from '../../src/tools/skills/index.ts';
import { createSkillTools } from '../../src/tools/skills/index.ts';
import { callSkill, contextFor, makeWorkspace, skill, skillFailure } from './skill-harness.ts';

let workspace = '';
let cleanup: () => Promise<void> = async () => {};
beforeEach(async () => {
  ({ workspace, cleanup } = await makeWorkspace({ withExamples: true }));
});
afterEach(() => cleanup());

const fakeFetch = (statuses: Record<string, number | 'hang' | 'throw'>) => {
  const seen: string[] = [];
  const fetch = async (
    url: string,
    init: { method: string; signal: AbortSignal },
  ): Promise<{ status: number }> => {
    seen.push(`${init.method} ${url}`);
    const answer = statuses[`${init.method} ${url}`] ?? statuses[url] ?? 404;
    if (answer === 'throw') throw new Error('connection refused');
    if (answer === 'hang') {
      return new Promise((_resolve, reject) =>
        init.signal.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    }
    return { status: answer };
  };
  return { fetch, seen };
};

describe('check_urls', () => {
  it('checks with HEAD, falls back to GET when HEAD is refused, and reports errors per URL', async () => {
    const { fetch, seen } = fakeFetch({
      'HEAD https://a.example/': 200,
      'HEAD https://b.example/': 405,
      'GET https://b.example/': 200,
      'https://c.example/': 'throw',
      'https://d.example/': 'hang',
    });
    const urls = [
      'https://a.example/',
      'https://b.example/',
      'https://c.example/',
      'https://d.example/',
      'https://e.example/',
    ];
    const result = await callSkill<{ summary: string; checks: UrlCheck[] }>(
      skill('check_urls', { fetch }),
      { urls, timeoutMs: 50 },
      contextFor(workspace),
    );
    expect(result.checks.map((check) => [check.url, check.method, check.status, check.ok])).toEqual([
      ['https://a.example/', 'HEAD', 200, true],
      ['https://b.example/', 'GET', 200, true],
      ['https://c.example/', 'HEAD', null, false],
      ['https://d.example/', 'HEAD', null, false],
      ['https://e.example/', 'HEAD', 404, false],
    ]);
    expect(result.checks[2]?.error).toBe('connection refused');
    expect(result.checks[3]?.error).toBe('timed out after 50 ms');
    expect(result.summary).toBe('2 of 5 URL(s) answered OK');
    expect(seen).toContain('GET https://b.example/');
  });

  it('check_urls_get uses GET; a tool fails when no URL answers; URL skills need a fetch', async () => {
    const { fetch, seen } = fakeFetch({ 'GET https://a.example/': 204, 'https://down.example/': 'throw' });
    const ok = await callSkill<{ checks: UrlCheck[] }>(
      skill('check_urls_get', { fetch }),
      { urls: ['https://a.example/'] },
      contextFor(workspace),
    );
    expect(ok.checks[0]).toMatchObject({ method: 'GET', status: 204, ok: true });
    expect(seen).toEqual(['GET https://a.example/']);
    const failure = await skillFailure(
      skill('check_urls', { fetch }),
      { urls: ['https://down.example/'] },
      contextFor(workspace),
    );
    expect(failure.code).toBe('unreachable');
    expect(createSkillTools().map((tool) => tool.name)).toEqual([
      'analyze_source_tree',
      'summarize_dataset',
      'summarize_csv_fast',
      'write_report',
    ]);
    expect(createSkillTools({ fetch }).map((tool) => tool.name)).toContain('check_urls_get');
  });
});

describe('write_report', () => {
  it('needs findings from this run', async () => {
    expect((await skillFailure(skill('write_report'), {}, contextFor(workspace))).code).toBe('no_findings');
  });

  it('writes a Markdown report of every finding of the run, and only of this run', async () => {
    const context = contextFor(workspace);
    await callSkill(skill('analyze_source_tree'), { path: 'examples/sample-project' }, context);
    await callSkill(skill('summarize_dataset'), { path: 'examples/sales.csv' }, context);
    const { fetch } = fakeFetch({ 'https://a.example/': 200 });
    await callSkill(
      skill('check_urls', { fetch }),
      { urls: ['https://a.example/'] },
      contextFor(workspace, { runId: 'run_other' }),
    );
    const result = await callSkill<{ reportPath: string; sections: number; summary: string }>(
      skill('write_report'),
      { title: 'Audit' },
      context,
    );
    expect(result).toMatchObject({ reportPath: 'autonoma-report.md', sections: 2 });
    const markdown = await readFile(join(workspace, 'autonoma-report.md'), 'utf8');
    expect(markdown).toMatch(/^# Audit\n/);
    expect(markdown).toContain('## Source tree: `examples/sample-project`');
    expect(markdown).toContain('- `examples/sample-project/src/index.js:4` **TODO** load the catalogue');
    expect(markdown).toContain('## Dataset: `examples/sales.csv`');
    expect(markdown).toMatch(/\| units \| 15 \| 1 \| 2 \| 20 \| 9 \| 9 \| 4\.90 \|/);
    expect(markdown).toContain('online (7)');
    expect(markdown).toContain('**TODO** (perf) use a compensated sum');
    expect(markdown).not.toContain('URL checks');
  });

  it('writes to a chosen path inside the workspace only', async () => {
    const context = contextFor(workspace);
    await callSkill(skill('summarize_dataset'), { path: 'examples/sales.csv' }, context);
    const result = await callSkill<{ reportPath: string }>(
      skill('write_report'),
      { path: 'out/deep/sales.md' },
      context,
    );
    expect(result.reportPath).toBe('out/deep/sales.md');
    expect(await readFile(join(workspace, 'out/deep/sales.md'), 'utf8')).toContain('## Dataset');
    expect((await skillFailure(skill('write_report'), { path: '../escape.md' }, context)).code).toBe(
      'path_outside_workspace',
    );
    expect((await skillFailure(skill('write_report'), { path: 'report.sh' }, context)).code).toBe(
      'invalid_input',
    );
  });
});
