import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, runCli } from '../support/cli.ts';
import type { CliResult } from '../support/cli.ts';
import { makeWorkspace } from '../skills/skill-harness.ts';

let workspace = '';
let cleanup: () => Promise<void> = async () => {};
let env: Record<string, string> = {};
const cli = (...args: string[]): Promise<CliResult> => runCli(args, env, workspace);
const runIdOf = (result: CliResult): string => /run (run_\w+):/.exec(result.stderr)?.[1] ?? '';

beforeAll(async () => {
  ({ workspace, cleanup } = await makeWorkspace({ withExamples: true }));
  env = cliEnvironment({ AUTONOMA_HOME: join(workspace, '.home') });
});
afterAll(() => cleanup());

describe('autonoma run twice, explain, replay (CLI)', () => {
  it('shows learning in the main job, explains it and replays it', async () => {
    const first = await cli('run', '--spec', 'examples/audit.json');
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('← summarize_csv_fast error unsupported_csv');
    expect(first.stderr).toMatch(/succeeded \(5 steps · 4 tool calls/);

    const second = await cli('run', '--spec', 'examples/audit.json');
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('plan (reused): analyze_source_tree → summarize_dataset → write_report');
    expect(second.stderr).not.toContain('→ summarize_csv_fast');
    expect(second.stderr).toMatch(/succeeded \(4 steps · 3 tool calls/);

    const explained = await cli('explain', runIdOf(first));
    expect(explained.code).toBe(0);
    expect(explained.stdout).toContain('why: untried: exploring summarize_csv_fast');
    expect(explained.stdout).toContain('why: replanned because summarize_csv_fast failed');
    const json = await cli('explain', runIdOf(second), '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ summary: { planReused: true, steps: 4, toolCalls: 3 } });

    const replayed = await cli('replay', runIdOf(second));
    expect(replayed.code).toBe(0);
    expect(replayed.stdout.trim()).toBe('replay matches: 4 steps, 3 tool calls, status succeeded');

    const unknown = await cli('explain', 'run_does_not_exist');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr.trim().split('\n')).toEqual(["autonoma: run 'run_does_not_exist' not found"]);

    const refreshed = await cli('memory', 'refresh');
    expect(refreshed.code).toBe(0);
    expect(refreshed.stdout).toMatch(/summarize_csv_fast +1 trials +0% ok/);
  });
});
