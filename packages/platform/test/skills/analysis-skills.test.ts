import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SourceTreeAnalysis } from '../../src/tools/skills/analyze-source-tree.ts';
import type { DatasetSummary } from '../../src/tools/skills/dataset-file.ts';
import { callSkill, contextFor, makeWorkspace, skill, skillFailure } from './skill-harness.ts';

let workspace = '';
let cleanup: () => Promise<void> = async () => {};
beforeEach(async () => {
  ({ workspace, cleanup } = await makeWorkspace({ withExamples: true }));
});
afterEach(() => cleanup());

describe('analyze_source_tree', () => {
  it('counts files, languages and lines, lists markers with file:line, and saves a finding', async () => {
    await mkdir(join(workspace, 'examples/sample-project/node_modules/dep'), { recursive: true });
    await writeFile(
      join(workspace, 'examples/sample-project/node_modules/dep/index.js'),
      '// TODO: not ours\n',
    );
    await writeFile(join(workspace, 'examples/sample-project/logo.bin'), Buffer.from([0, 1, 2, 0]));
    const result = await callSkill<SourceTreeAnalysis & { summary: string; findingsPath: string }>(
      skill('analyze_source_tree'),
      { path: 'examples/sample-project' },
      contextFor(workspace),
    );
    expect(result.files).toBe(5);
    expect(result.languages.map((language) => language.language)).toEqual([
      'JavaScript',
      'Python',
      'Markdown',
    ]);
    expect(result.markers).toContainEqual({
      file: 'examples/sample-project/src/index.js',
      line: 4,
      tag: 'TODO',
      text: 'load the catalogue from the database instead of this constant',
    });
    expect(result.markers.map((marker) => marker.tag).sort()).toEqual([
      'FIXME',
      'FIXME',
      'HACK',
      'TODO',
      'TODO',
      'TODO',
    ]);
    expect(result.markers.some((marker) => marker.file.includes('node_modules'))).toBe(false);
    expect(result.largestFiles[0]?.bytes).toBeGreaterThanOrEqual(result.largestFiles[1]?.bytes ?? 0);
    expect(result.summary).toMatch(
      /^5 files, \d+ lines \(JavaScript \d+, Python \d+, Markdown \d+\), 6 TODO\/FIXME markers/,
    );
    expect(result.findingsPath).toBe('.autonoma/findings/run_1/analyze_source_tree.json');
    const saved = JSON.parse(await readFile(join(workspace, result.findingsPath), 'utf8')) as {
      kind: string;
      data: SourceTreeAnalysis;
    };
    expect(saved.kind).toBe('source-tree');
    expect(saved.data.lines).toBe(result.lines);
  });

  it('refuses paths outside the workspace, including through symlinks', async () => {
    const tool = skill('analyze_source_tree');
    expect((await skillFailure(tool, { path: '../' }, contextFor(workspace))).code).toBe(
      'path_outside_workspace',
    );
    expect((await skillFailure(tool, { path: '/etc' }, contextFor(workspace))).code).toBe(
      'path_outside_workspace',
    );
    await symlink('/etc', join(workspace, 'escape'));
    expect((await skillFailure(tool, { path: 'escape' }, contextFor(workspace))).code).toBe(
      'path_outside_workspace',
    );
    expect((await skillFailure(tool, { path: 'missing-dir' }, contextFor(workspace))).code).toBe(
      'not_a_directory',
    );
  });
});

describe('summarize_dataset', () => {
  it('summarizes a CSV: numeric stats, missing values and top categories', async () => {
    const result = await callSkill<DatasetSummary>(
      skill('summarize_dataset'),
      { path: 'examples/sales.csv' },
      contextFor(workspace),
    );
    expect(result).toMatchObject({ file: 'examples/sales.csv', format: 'csv', rows: 16 });
    const units = result.columns.find((column) => column.column === 'units');
    expect(units).toMatchObject({ type: 'numeric', count: 15, missing: 1, min: 2, max: 20, median: 9 });
    expect(units?.mean).toBeCloseTo(135 / 15, 6);
    expect(units?.stddev).toBeGreaterThan(4.5);
    expect(units?.stddev).toBeLessThan(5.0);
    const channel = result.columns.find((column) => column.column === 'channel');
    expect(channel).toMatchObject({
      type: 'categorical',
      count: 15,
      missing: 1,
      distinct: 3,
      top: [
        { value: 'online', count: 7 },
        { value: 'retail', count: 5 },
        { value: 'partner', count: 3 },
      ],
    });
  });

  it('summarizes a JSON array and rejects other JSON', async () => {
    await writeFile(
      join(workspace, 'data.json'),
      JSON.stringify([
        { a: 1, b: 'x' },
        { a: 3, b: 'x' },
        { a: null, c: true },
      ]),
    );
    const result = await callSkill<DatasetSummary>(
      skill('summarize_dataset'),
      { path: 'data.json' },
      contextFor(workspace),
    );
    expect(result.rows).toBe(3);
    expect(result.columns).toEqual([
      {
        column: 'a',
        count: 2,
        missing: 1,
        type: 'numeric',
        min: 1,
        max: 3,
        mean: 2,
        median: 2,
        stddev: expect.closeTo(Math.SQRT2, 6),
      },
      {
        column: 'b',
        count: 2,
        missing: 1,
        type: 'categorical',
        distinct: 1,
        top: [{ value: 'x', count: 2 }],
      },
      {
        column: 'c',
        count: 1,
        missing: 2,
        type: 'categorical',
        distinct: 1,
        top: [{ value: 'true', count: 1 }],
      },
    ]);
    await writeFile(join(workspace, 'object.json'), '{"a":1}');
    expect(
      (await skillFailure(skill('summarize_dataset'), { path: 'object.json' }, contextFor(workspace))).code,
    ).toBe('invalid_dataset');
  });

  it('handles quoted CSV fields and other delimiters', async () => {
    await writeFile(
      join(workspace, 'quoted.csv'),
      'name;note;score\n"Smith; J.";"said ""hi""\nthen left";3\nDoe;ok;5\n',
    );
    const result = await callSkill<DatasetSummary>(
      skill('summarize_dataset'),
      { path: 'quoted.csv' },
      contextFor(workspace),
    );
    expect(result.rows).toBe(2);
    expect(result.columns.map((column) => column.column)).toEqual(['name', 'note', 'score']);
    expect(result.columns[0]?.top?.[0]).toEqual({ value: 'Doe', count: 1 });
    expect(result.columns[2]).toMatchObject({ type: 'numeric', mean: 4 });
  });
});
