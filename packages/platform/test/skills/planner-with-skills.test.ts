import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Agent, BrainDecision, EventPayload, GoalSpec, Run, TranscriptEntry } from '@autonoma/core';
import { describeTools, ToolError } from '@autonoma/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// core's index does not re-export the planner brain yet; import it from its module.
import { createPlannerBrain } from '../../../core/src/brains/planner-brain.ts';
import { createSkillTools } from '../../src/tools/skills/index.ts';
import { contextFor, examplesDirectory, makeWorkspace } from './skill-harness.ts';

let workspace = '';
let cleanup: () => Promise<void> = async () => {};
beforeEach(async () => {
  ({ workspace, cleanup } = await makeWorkspace({ withExamples: true }));
});
afterEach(() => cleanup());

async function loadSpec(name: string): Promise<GoalSpec> {
  return JSON.parse(await readFile(join(examplesDirectory, name), 'utf8')) as GoalSpec;
}

/** A minimal loop: the planner brain decides, the real skills run in the temp workspace. */
async function runGoal(goal: Run['goal']): Promise<{ final: BrainDecision; events: EventPayload[] }> {
  const tools = createSkillTools();
  const brain = createPlannerBrain();
  const transcript: TranscriptEntry[] = [];
  const events: EventPayload[] = [];
  let brainState: unknown = null;
  const run = { id: 'run_1', goal, workspace } as Run;
  for (let step = 1; step <= 10; step++) {
    const decision = await brain.decide({
      run,
      agent: { id: 'agent_1' } as Agent,
      step,
      transcript,
      tools: describeTools(tools),
      recalled: [],
      reusablePlan: undefined,
      learnedCosts: new Map(),
      brainState,
      emit: (event) => events.push(event),
      signal: new AbortController().signal,
    });
    brainState = decision.brainState;
    if (decision.kind === 'finish') return { final: decision, events };
    if (decision.kind !== 'act') throw new Error(`the planner never decides ${decision.kind}`);
    for (const [index, call] of decision.calls.entries()) {
      const callId = `run_1:${step}:${index}`;
      transcript.push({
        kind: 'assistant',
        step,
        text: '',
        calls: [{ callId, tool: call.tool, args: call.args }],
      });
      const tool = tools.find((candidate) => candidate.name === call.tool);
      try {
        const parsed = tool?.input.parse(call.args);
        const result = await tool?.execute(parsed as never, contextFor(workspace, { callId }));
        transcript.push({ kind: 'tool-result', step, callId, tool: call.tool, ok: true, result });
      } catch (error: unknown) {
        const code = error instanceof ToolError ? error.code : 'error';
        transcript.push({
          kind: 'tool-result',
          step,
          callId,
          tool: call.tool,
          ok: false,
          error: { code, message: String(error) },
        });
      }
    }
  }
  throw new Error('no finish within 10 steps');
}

describe('planner brain with the offline skills', () => {
  it('runs examples/analyze-repo.json to a real report', async () => {
    const { final, events } = await runGoal({
      text: 'analyze the sample project',
      spec: await loadSpec('analyze-repo.json'),
    });
    expect(final).toMatchObject({ kind: 'finish', status: 'succeeded' });
    expect(final.kind === 'finish' && final.answer).toContain('Report: examples/out/analyze-repo-report.md');
    expect(events.find((event) => event.type === 'plan-update')).toMatchObject({
      plan: ['analyze_source_tree', 'write_report'],
    });
    const report = await readFile(join(workspace, 'examples/out/analyze-repo-report.md'), 'utf8');
    expect(report).toContain('TODO / FIXME markers (6)');
  });

  it('runs a three-fact spec in an order that leaves the report last', async () => {
    const { final, events } = await runGoal({ text: 'audit', spec: await loadSpec('full-audit.json') });
    expect(final).toMatchObject({ status: 'succeeded' });
    const plan = events.find((event) => event.type === 'plan-update');
    expect(plan?.type === 'plan-update' && plan.plan.at(-1)).toBe('write_report');
    const report = await readFile(join(workspace, 'examples/out/full-audit.md'), 'utf8');
    expect(report).toContain('## Source tree');
    expect(report).toContain('## Dataset');
  });

  it('derives the plan from goal text alone', async () => {
    const { final } = await runGoal({ text: 'Summarize examples/sales.csv and write a report' });
    expect(final).toMatchObject({ status: 'succeeded' });
    expect(await readFile(join(workspace, 'autonoma-report.md'), 'utf8')).toContain(
      '## Dataset: `examples/sales.csv`',
    );
  });

  it('fails with the planner reason when a skill is missing', async () => {
    const { final } = await runGoal({ text: 'check https://a.example for broken links' });
    expect(final).toMatchObject({ status: 'failed', answer: expect.stringContaining('unknown_fact') });
  });
});
