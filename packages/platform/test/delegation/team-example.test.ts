/**
 * The multi-agent example (`examples/team-audit.json`, `npm run example:team`) through the CLI,
 * offline: the planner writer delegates to an auditor and a summarizer, then writes one report from
 * their findings; `explain` shows the children's decisions under the step that delegated.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, runCli } from '../support/cli.ts';
import type { CliResult } from '../support/cli.ts';
import { makeWorkspace } from '../skills/skill-harness.ts';

let workspace = '';
let cleanup: () => Promise<void> = async () => {};
let env: Record<string, string> = {};
const cli = (...args: string[]): Promise<CliResult> => runCli(args, env, workspace);

beforeAll(async () => {
  ({ workspace, cleanup } = await makeWorkspace({ withExamples: true }));
  env = cliEnvironment({ AUTONOMA_HOME: join(workspace, '.home') });
});
afterAll(() => cleanup());

describe('the team example (planner delegation, CLI)', () => {
  it('delegates the analyses to two specialists and writes one report from their findings', async () => {
    for (const agent of ['auditor', 'summarizer', 'writer']) {
      const created = await cli('agents', 'create', '--file', `examples/agents/${agent}.json`);
      expect(created.code, created.stderr).toBe(0);
    }
    const ran = await cli('run', '--agent', 'writer', '--spec', 'examples/team-audit.json', '--json');
    expect(ran.code, ran.stderr).toBe(0);
    const result = JSON.parse(ran.stdout) as { runId: string; status: string; usage: { steps: number } };
    expect(result.status).toBe('succeeded');
    const report = readFileSync(join(workspace, 'examples/out/team-audit.md'), 'utf8');
    // Both specialists' findings reached the writer's report.
    expect(report).toContain('examples/sample-project');
    expect(report).toContain('examples/orders.csv');

    const shown = await cli('runs', 'list', '--json');
    const runs = JSON.parse(shown.stdout) as { id: string; parentRunId: string | null; status: string }[];
    const children = runs.filter((run) => run.parentRunId === result.runId);
    expect(children.map((run) => run.status)).toEqual(['succeeded', 'succeeded']);

    const explained = await cli('explain', result.runId);
    expect(explained.code, explained.stderr).toBe(0);
    expect(explained.stdout).toContain('decide delegation: chose delegate');
    expect(explained.stdout).toMatch(
      /delegated to auditor \(run run_\w+\): audit the source tree.* → succeeded/,
    );
    expect(explained.stdout).toMatch(
      /delegated to summarizer \(run run_\w+\): summarize the orders export → succeeded/,
    );
    // The children's own decisions, nested under the delegating step.
    expect(explained.stdout).toMatch(/│ .*call analyze_source_tree/);
    expect(explained.stdout).toMatch(/│ .*call summarize_/);
  });
});
