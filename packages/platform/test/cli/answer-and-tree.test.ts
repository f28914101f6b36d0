/**
 * `autonoma answer <runId> <text>` continues a run waiting for its user's answer, and
 * `autonoma runs show <id> --tree` draws a run with the runs it delegated to (and theirs) — through
 * the CLI on the embedded store, with the model brain against the loopback OpenAI fixture.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fixture, FixtureReply, RecordedRequest } from '../fixtures/openai-server.ts';
import { startOpenAiFixture } from '../fixtures/openai-server.ts';
import type { CliResult } from '../support/cli.ts';
import { cliEnvironment, runCli } from '../support/cli.ts';

interface Message {
  role?: string;
  content?: unknown;
}
const messagesOf = (request: RecordedRequest): Message[] =>
  (request.body as { messages?: Message[] }).messages ?? [];
const textOf = (message: Message): string =>
  typeof message.content === 'string' ? message.content : JSON.stringify(message.content ?? '');

/** The goal a model request is about: the text after `Goal: ` in its first user message. */
const goalOf = (request: RecordedRequest): string =>
  /Goal: ([^\n"]+)/.exec(textOf(messagesOf(request).find((message) => message.role === 'user') ?? {}))?.[1] ??
  '';

/** Sub-goals each goal delegates; goals not named here are answered at once. */
const delegations: Record<string, string[]> = {
  'plan the trip': ['find flights', 'find hotels'],
  'find hotels': ['compare hotel prices'],
};

function model(request: RecordedRequest): FixtureReply {
  const goal = goalOf(request);
  const everything = messagesOf(request).map(textOf).join('\n');
  if (goal === 'ask me my colour') {
    const answer = /"answer":"([^"]+)"/.exec(everything)?.[1];
    return answer
      ? { kind: 'text', text: `Your colour is ${answer}.` }
      : { kind: 'tool-calls', calls: [{ name: 'ask_user', input: { question: 'Which colour?' } }] };
  }
  const subGoals = delegations[goal];
  const delegated = messagesOf(request).some((message) => message.role === 'tool');
  if (subGoals && !delegated)
    return {
      kind: 'tool-calls',
      calls: subGoals.map((subGoal) => ({ name: 'delegate', input: { goal: subGoal } })),
    };
  return { kind: 'text', text: `done: ${goal}` };
}

describe('autonoma answer and runs show --tree', () => {
  let fixture: Fixture;
  let cwd: string;
  let env: Record<string, string>;
  const cli = (...args: string[]): Promise<CliResult> => runCli(args, env, cwd);
  const oneLine = (text: string): void => {
    expect(text.trim().split('\n')).toHaveLength(1);
    expect(text).not.toMatch(/\n\s+at /);
  };

  beforeAll(async () => {
    fixture = await startOpenAiFixture(model);
    const root = mkdtempSync(join(tmpdir(), 'autonoma-answer-tree-'));
    cwd = join(root, 'work');
    mkdirSync(cwd);
    env = cliEnvironment({
      AUTONOMA_HOME: join(root, 'home'),
      AUTONOMA_MODEL: 'openai-compatible:fixture',
      AUTONOMA_MODEL_BASE_URL: `${fixture.url}/v1`,
    });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('answer: a run waiting for its user is answered from the CLI and goes on to its end', async () => {
    const asked = await cli('run', 'ask me my colour');
    // Exit 3: it waits for a person, and says how to answer.
    expect(asked.code, asked.stderr).toBe(3);
    const runId = /run (run_\w+): waiting_input/.exec(asked.stderr)?.[1] ?? '';
    expect(runId).not.toBe('');
    expect(asked.stderr).toContain(`answer it with: autonoma answer ${runId} <text…>`);
    const shown = JSON.parse((await cli('runs', 'show', runId, '--json')).stdout) as {
      run: { status: string };
      events: { type: string; outcome?: { question?: string } }[];
    };
    expect(shown.run.status).toBe('waiting_input');
    // The question is in the run's events.
    expect(shown.events.some((event) => event.outcome?.question === 'Which colour?')).toBe(true);

    const answered = await cli('answer', runId, 'deep', 'blue', '--json');
    expect(answered.code, answered.stderr).toBe(0);
    expect(JSON.parse(answered.stdout)).toMatchObject({
      runId,
      status: 'succeeded',
      answer: 'Your colour is deep blue.',
    });

    // Nothing is asked any more; an unknown run and an empty answer are refused, each in one line.
    const again = await cli('answer', runId, 'red');
    expect(again.code).not.toBe(0);
    oneLine(again.stderr);
    expect(again.stderr).toMatch(/not_waiting_input|waits for no answer|not waiting/i);
    const unknown = await cli('answer', 'run_nope', 'red');
    expect(unknown.code).not.toBe(0);
    oneLine(unknown.stderr);
    expect(unknown.stderr).toContain('run_nope');
    const empty = await cli('answer', runId, '   ');
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toContain('the answer is empty');
  });

  it('runs show --tree: the run, its children and their children, as text and as JSON', async () => {
    const ran = await cli('run', 'plan the trip', '--json');
    expect(ran.code, ran.stderr).toBe(0);
    const { runId } = JSON.parse(ran.stdout) as { runId: string };

    const tree = await cli('runs', 'show', runId, '--tree');
    expect(tree.code, tree.stderr).toBe(0);
    const lines = tree.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(new RegExp(`^${runId}  succeeded  agent default  .*"plan the trip"$`));
    const flights = lines.findIndex((line) => line.includes('"find flights"'));
    const hotels = lines.findIndex((line) => line.includes('"find hotels"'));
    const prices = lines.findIndex((line) => line.includes('"compare hotel prices"'));
    // The two children directly under the root, the grandchild under "find hotels".
    expect(lines[flights]).toMatch(/^(├─|└─) run_\w+ {2}succeeded {2}agent default/);
    expect(lines[hotels]).toMatch(/^(├─|└─) run_\w+ {2}succeeded {2}agent default/);
    expect(prices).toBe(hotels + 1);
    expect(lines[prices]).toMatch(/^(│ {2}| {3})└─ run_\w+ {2}succeeded {2}agent default/);
    expect(lines.slice(1, 3).map((line) => line.slice(0, 2))).toEqual(
      hotels === 1 ? ['├─', '│ '] : ['├─', '└─'],
    );

    const json = await cli('runs', 'show', runId, '--tree', '--json');
    expect(json.code, json.stderr).toBe(0);
    interface Node {
      run: { id: string; goal: { text: string }; parentRunId: string | null; status: string };
      agent: string;
      children: Node[];
    }
    const root = JSON.parse(json.stdout) as Node;
    expect(root.run.id).toBe(runId);
    expect(root.children.map((child) => child.run.goal.text).sort()).toEqual(['find flights', 'find hotels']);
    for (const child of root.children) expect(child.run.parentRunId).toBe(runId);
    const hotelsNode = root.children.find((child) => child.run.goal.text === 'find hotels');
    expect(hotelsNode?.children.map((child) => child.run.goal.text)).toEqual(['compare hotel prices']);
    expect(hotelsNode?.children[0]?.run.parentRunId).toBe(hotelsNode?.run.id);

    // A run with no children is a tree of one line; an unknown run is refused in one line.
    const leaf = hotelsNode?.children[0]?.run.id ?? '';
    const single = await cli('runs', 'show', leaf, '--tree');
    expect(single.stdout.trimEnd().split('\n')).toHaveLength(1);
    const unknown = await cli('runs', 'show', 'run_nope', '--tree');
    expect(unknown.code).not.toBe(0);
    oneLine(unknown.stderr);
  });
});
