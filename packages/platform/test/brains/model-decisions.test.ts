/**
 * The model brain's decisions, end to end through the real loop, the real tools and the learning
 * hooks, against the loopback OpenAI fixture on the embedded store: every step records one `decision`
 * with the tools offered, the scores learned for them, the model's choice and its own words; the
 * decision is stored with its step, is not repeated when an approved call finishes the step, and
 * `autonoma explain` shows it.
 */
import type { EventOf, RunEvent } from '@autonoma/core';
import { AgentSpec } from '@autonoma/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { answerOptionId } from '../../src/brains/model-decision.ts';
import { renderExplanation } from '../../src/cli/render-explanation.ts';
import type { Fixture, FixtureReply, RecordedRequest } from '../fixtures/openai-server.ts';
import { startOpenAiFixture } from '../fixtures/openai-server.ts';
import { appWithModel } from '../support/model-app.ts';

const toolResults = (request: RecordedRequest): number =>
  ((request.body as { messages?: { role?: string }[] }).messages ?? []).filter(
    (message) => message.role === 'tool',
  ).length;

/** The tool names a request offered the model. */
const toolsOffered = (request: RecordedRequest | undefined): string[] =>
  ((request?.body as { tools?: { function?: { name?: string } }[] } | undefined)?.tools ?? []).map(
    (tool) => tool.function?.name ?? '',
  );

const decisionsOf = (events: readonly RunEvent[]): EventOf<'decision'>[] =>
  events.filter((event): event is RunEvent & EventOf<'decision'> => event.type === 'decision');

const optionOf = (decision: EventOf<'decision'> | undefined, id: string) =>
  decision?.options.find((option) => option.id === id);

describe('model brain decisions [pglite]', () => {
  let model: Fixture | undefined;
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    await model?.close();
    app = undefined;
    model = undefined;
  });

  it('records one decision per step: offered tools, learned scores, the choice and the model’s words', async () => {
    const hostile = '<img src=x onerror=alert(1)> Looking around first.';
    model = await startOpenAiFixture(async (request): Promise<FixtureReply> => {
      if (toolResults(request) === 0) {
        return {
          kind: 'tool-calls',
          text: hostile,
          calls: [
            { name: 'fs_list', input: {} },
            { name: 'fs_read', input: { path: 'missing.txt' } },
          ],
        };
      }
      return { kind: 'text', text: 'The workspace is empty and missing.txt does not exist.' };
    });
    app = await appWithModel(model);
    const scope = app.localScope;
    const run = await app.services.runs.start(scope, { goal: 'look at the workspace' });
    const result = await app.services.runs.advanceTree(scope, run.id);
    expect(result.run.status).toBe('succeeded');

    const events = await app.services.runs.events(scope, run.id);
    const decisions = decisionsOf(events);
    expect(decisions.map((decision) => [decision.step, decision.about])).toEqual([
      [1, 'next-action'],
      [2, 'next-action'],
    ]);
    const [first, second] = decisions;
    // Options: every tool offered to the model, then answering without a tool.
    const offered = toolsOffered(model.requests[0]);
    expect(first?.options.map((option) => option.id)).toEqual([...offered, answerOptionId]);
    expect(offered).toEqual(expect.arrayContaining(['fs_list', 'fs_read']));
    // Nothing was learned before the first step: every score is absent, and the event says so.
    expect(
      first?.options.every((option) => option.score === null && option.detail?.['learned'] === false),
    ).toBe(true);
    expect(first?.scoring).toContain('no tool has a learned score yet');
    expect(first).toMatchObject({
      chosen: 'fs_list',
      choices: ['fs_list', 'fs_read'],
      reason: hostile,
      reasonSource: 'model',
    });
    // The second step is scored with what the first taught: one success, one failure.
    const listed = optionOf(second, 'fs_list');
    expect(listed?.score).toBeGreaterThan(0.5);
    expect(listed?.detail).toMatchObject({ learned: true, trials: 1, successes: 1, learnedCost: 1 });
    expect(optionOf(second, 'fs_read')).toMatchObject({
      score: 0,
      detail: { learned: true, trials: 1, successes: 0, learnedCost: 2 },
    });
    expect(optionOf(second, 'fs_write')).toMatchObject({ score: null, detail: { learned: false } });
    expect(second?.scoring).toMatch(/; learned for (fs_read, fs_list|fs_list, fs_read);/);
    expect(second?.scoring).toMatch(/absent \(no calls yet\) for [^;]*fs_write/);
    expect(second).toMatchObject({
      chosen: answerOptionId,
      reason: 'The workspace is empty and missing.txt does not exist.',
      reasonSource: 'model',
    });
    expect(second?.choices).toBeUndefined();

    // `autonoma explain` shows the model's decisions with their options and scores.
    const explanation = await app.services.explain.explain(scope, run.id);
    expect(explanation.steps.map((step) => step.decisions.length)).toEqual([1, 1]);
    const lines = renderExplanation(explanation).join('\n');
    expect(lines).toContain('decide next-action: chose fs_list, fs_read');
    // (The store gives the detail's keys back in its own order.)
    expect(lines).toMatch(/· fs_list {2}score [01]\.\d\d {2}\((?=[^)]*learned true)(?=[^)]*trials 1)/);
    expect(lines).toMatch(/· fs_write {2}score — {2}\(learned false\)/);
    expect(lines).toContain(`chose ${answerOptionId}`);

    // `autonoma replay` re-runs the recorded decisions (asking no model) and reproduces the run.
    const asked = model.requests.length;
    const replay = await app.services.replay.replay(scope, run.id);
    expect(replay).toMatchObject({ matches: true, steps: 2, recordedSteps: 2 });
    expect(model.requests).toHaveLength(asked);
  }, 300_000);

  it('keeps one decision for a step finished after its approval, and records a failed call as no choice', async () => {
    model = await startOpenAiFixture(async (request): Promise<FixtureReply> => {
      if (toolResults(request) === 0)
        return {
          kind: 'tool-calls',
          text: 'Checking what is there.',
          calls: [{ name: 'fs_list', input: {} }],
        };
      return { kind: 'http-error', status: 400, message: 'bad request from the fixture' };
    });
    app = await appWithModel(model);
    const scope = app.localScope;
    await app.services.agents.put(
      scope,
      AgentSpec.parse({ name: 'careful', brain: 'model', approval: { minRisk: 'none', tools: ['fs_list'] } }),
    );
    const run = await app.services.runs.start(scope, { goal: 'list the files', agent: 'careful' });
    const paused = await app.services.runs.advanceTree(scope, run.id);
    expect(paused.run.status).toBe('waiting_approval');
    const request = (await app.services.runs.events(scope, run.id)).find(
      (event) => event.type === 'approval-request',
    );
    if (request?.type !== 'approval-request') throw new Error('no approval request was recorded');
    await app.services.runs.resolveApproval(scope, run.id, request.callId, { approved: true });
    const ended = await app.services.runs.advanceTree(scope, run.id);
    expect(ended.run.status).toBe('failed');

    const decisions = decisionsOf(await app.services.runs.events(scope, run.id));
    // Step 1 was decided once; step 2 carried out the approved call, asking no model and deciding
    // nothing; step 3's model call failed.
    expect(model.requests).toHaveLength(2);
    expect(decisions.map((decision) => [decision.step, decision.chosen])).toEqual([
      [1, 'fs_list'],
      [3, null],
    ]);
    expect(decisions[0]?.reason).toBe('Checking what is there.');
    expect(decisions[1]).toMatchObject({ reasonSource: 'brain' });
    expect(decisions[1]?.reason).toMatch(/^Model call failed \[model_/);
  }, 300_000);
});
