/**
 * `autonoma chat` in a real terminal (tmux), against the loopback OpenAI fixture: the agent's text
 * appears while it is still being generated; an approval and a question are answered at the prompt;
 * Ctrl-C cancels the turn in progress and the REPL goes on; `/exit` leaves; a conversation resumed by
 * `--conversation ID` keeps its thread and the line history. Embedded, with `--server`, and with no
 * model at all (the planner).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Fixture, FixtureReply, RecordedRequest } from '../fixtures/openai-server.ts';
import { startOpenAiFixture } from '../fixtures/openai-server.ts';
import type { CliResult } from '../support/cli.ts';
import { cliEnvironment, repositoryRoot, runCli, startCli } from '../support/cli.ts';
import { waitFor } from '../support/wait-for.ts';
import { Pane } from './tmux-pane.ts';

const node = join(repositoryRoot, 'node_modules/.bin/node');
const cli = join(repositoryRoot, 'packages/platform/bin/autonoma.mjs');

interface Message {
  role?: string;
  content?: unknown;
}
const textOf = (message: Message): string =>
  typeof message.content === 'string' ? message.content : JSON.stringify(message.content ?? '');

/** A released-by-the-test gate for a reply held half-streamed. */
interface Gate {
  promise: Promise<void>;
  release(): void;
}
/** Replies held half-streamed: "stream", "slow", and the answer after a denial. */
interface Gates {
  stream: Gate;
  slow: Gate;
  denied: Gate;
}
const gate = (): Gate => {
  let release = (): void => undefined;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
};

/**
 * The model: it remembers nothing itself (names come from the thread it is sent). "stream" is answered
 * in words held after the second until the test releases them; "slow" never finishes; "list" calls
 * `fs_list`; "colour" asks the user with `ask_user`.
 */
function chatModel(gates: Gates) {
  return (request: RecordedRequest): FixtureReply => {
    const all = (request.body as { messages?: Message[] }).messages ?? [];
    const thread = all.filter((message) => message.role === 'user' || message.role === 'assistant');
    const latest = textOf(thread.at(-1) ?? {});
    const last = all.at(-1);
    const results = all.map(textOf).join('\n');
    if (last?.role === 'tool' || /Result of /.test(textOf(last ?? {}))) {
      const colour = results.match(/"answer":"(\w+)"/)?.[1];
      if (colour) return { kind: 'text', text: `Your colour is ${colour}.` };
      if (/denied/.test(textOf(last ?? {})))
        return {
          kind: 'text',
          text: 'I was not allowed to list.',
          pauseAfterChunks: 2,
          resume: gates.denied.promise,
        };
      return { kind: 'text', text: `Listed: ${results.match(/"name":"([^"]+)"/)?.[1] ?? 'nothing'}` };
    }
    if (/stream/i.test(latest))
      return {
        kind: 'text',
        text: 'Streaming words arrive one by one.',
        pauseAfterChunks: 2,
        resume: gates.stream.promise,
      };
    if (/slow/i.test(latest))
      return { kind: 'text', text: 'Thinking very slowly…', pauseAfterChunks: 1, resume: gates.slow.promise };
    if (/list/i.test(latest)) return { kind: 'tool-calls', calls: [{ name: 'fs_list', input: {} }] };
    if (/colour/i.test(latest))
      return { kind: 'tool-calls', calls: [{ name: 'ask_user', input: { question: 'Which colour?' } }] };
    if (/what is my name/i.test(latest)) {
      const told = thread
        .map(textOf)
        .join('\n')
        .match(/my name is (\w+)/i)?.[1];
      return { kind: 'text', text: told ? `Your name is ${told}.` : 'I do not know your name.' };
    }
    if (/my name is/i.test(latest)) return { kind: 'text', text: 'Nice to meet you.' };
    return { kind: 'text', text: `You said: ${latest}` };
  };
}

const careful = { name: 'careful', tools: ['fs_list', 'ask_user'], approval: { tools: ['fs_list'] } };

describe('autonoma chat in a terminal (tmux)', () => {
  let root: string;
  let cwd: string;
  let gates: Gates;
  let model: Fixture | undefined;
  const panes: Pane[] = [];
  const servers: { kill(): void; done: Promise<CliResult> }[] = [];

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'autonoma-chat-'));
    cwd = join(root, 'work');
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'notes.txt'), 'a file in the chat workspace\n');
    gates = { stream: gate(), slow: gate(), denied: gate() };
  });
  afterEach(async () => {
    for (const pane of panes.splice(0)) pane.kill();
    for (const server of servers.splice(0)) {
      server.kill();
      await server.done;
    }
    gates.stream.release();
    gates.slow.release();
    gates.denied.release();
    await model?.close();
    model = undefined;
  });

  const environment = (extra: Record<string, string> = {}): Record<string, string> =>
    cliEnvironment({ AUTONOMA_HOME: join(root, 'home'), ...extra });
  const modelEnvironment = (fixture: Fixture): Record<string, string> =>
    environment({
      AUTONOMA_MODEL: 'openai-compatible:fixture',
      AUTONOMA_MODEL_BASE_URL: `${fixture.url}/v1`,
    });
  const chat = (env: Record<string, string>, args: string[], label: string): Pane => {
    const pane = Pane.start({ argv: [node, cli, 'chat', ...args], env, cwd }, label);
    panes.push(pane);
    return pane;
  };
  const createAgent = async (env: Record<string, string>): Promise<void> => {
    writeFileSync(join(root, 'careful.json'), JSON.stringify(careful));
    const created = await runCli(['agents', 'create', '--file', join(root, 'careful.json')], env, cwd);
    expect(created.code, created.stderr).toBe(0);
  };
  const conversationOf = (screen: string): string => {
    const id = screen.match(/conversation (conv_\w+)/)?.[1];
    if (!id) throw new Error(`no conversation id on the screen:\n${screen}`);
    return id;
  };
  /** Types a line at the prompt; returns where the screen stood before it, to read what follows. */
  const say = (pane: Pane, text: string): number => {
    const from = pane.capture().length;
    pane.line(text);
    return from;
  };

  it('embedded: streams, approves and answers at the prompt, Ctrl-C cancels a turn, /exit, resume by id', async () => {
    model = await startOpenAiFixture(chatModel(gates));
    const env = modelEnvironment(model);
    await createAgent(env);
    const pane = chat(env, ['--agent', 'careful'], 'embedded');
    const header = await pane.waitForPrompt();
    const conversation = conversationOf(header);
    expect(header).toContain(`the agent's tools work in ${cwd}`);
    expect(header).not.toContain('no model is configured');

    let from = say(pane, 'My name is Ada.');
    await pane.waitForText(/careful> Nice to meet you\.\n {2}✓ run_/, from);
    await pane.waitForPrompt();

    // The first words are on the screen while the rest is still being generated.
    from = say(pane, 'please stream an answer');
    const partial = await pane.waitForText('careful> Streaming words', from);
    expect(partial.slice(from)).not.toContain('one by one');
    expect(partial.slice(from)).not.toContain('✓');
    gates.stream.release();
    await pane.waitForText(/careful> Streaming words arrive one by one\.\n {2}✓ run_/, from);
    await pane.waitForPrompt();

    // An approval at the prompt: the call runs once approved, in the chat's directory.
    from = say(pane, 'please list the files');
    await pane.waitForText(/⏸ fs_list \{\}[\s\S]*approve\? \[y\/N\]$/, from);
    pane.line('y');
    const approved = await pane.waitForText(/careful> Listed: [\s\S]*✓ run_/, from);
    expect(approved.slice(from)).toContain('approved fs_list');
    expect(approved.slice(from)).toMatch(/← fs_list ok/);
    expect(approved.slice(from)).toContain('careful> Listed: notes.txt');
    await pane.waitForPrompt();

    // A question at the prompt.
    from = say(pane, 'what is my favourite colour?');
    await pane.waitForText(/careful\? Which colour\?\nanswer>$/, from);
    pane.line('teal');
    await pane.waitForText(/careful> Your colour is teal\.\n {2}✓ run_/, from);
    await pane.waitForPrompt();

    // Ctrl-C while the model is mid-answer: the turn ends cancelled, the REPL stays.
    from = say(pane, 'be slow');
    await pane.waitForText('careful> Thinking', from);
    pane.keys('C-c');
    await pane.waitForText(/✗ run_\w+ cancelled — cancelled at the chat prompt/, from);
    await pane.waitForPrompt();
    from = say(pane, '/runs');
    const runs = await pane.waitForText(/#5 +run_\w+ +cancelled +be slow/, from);
    expect(runs.slice(from)).toMatch(/#1 +run_\w+ +succeeded +My name is Ada\./);
    await pane.waitForPrompt();

    // The thread goes on after the cancelled turn.
    from = say(pane, 'What is my name?');
    await pane.waitForText(/careful> Your name is Ada\./, from);
    await pane.waitForPrompt();

    from = say(pane, '/exit');
    await pane.waitForText(
      `conversation ${conversation} kept: autonoma chat --conversation ${conversation}\n[exited 0]`,
      from,
    );

    // Resumed by id in a new REPL: the thread is there, the model still gets it, and so is the history.
    const resumed = chat(env, ['--conversation', conversation], 'resumed');
    const again = await resumed.waitForPrompt();
    expect(again).toContain(`agent careful · conversation ${conversation}`);
    expect(again).toContain('6 turns so far; the last 5:');
    expect(again).toContain('careful> Your name is Ada.');
    resumed.keys('Up');
    await resumed.waitFor('the last line of the earlier session', (screen) => screen.endsWith('you> /exit'));
    resumed.keys('C-u');
    await resumed.waitForPrompt();
    from = say(resumed, 'What is my name?');
    await resumed.waitForText(/careful> Your name is Ada\.\n {2}✓ run_/, from);
    await resumed.waitForPrompt();
    resumed.keys('C-d');
    await resumed.waitForText('[exited 0]', from);
  }, 600_000);

  it('with --server: streams, answers a question, cancels with Ctrl-C; a turn left waiting is resumed', async () => {
    model = await startOpenAiFixture(chatModel(gates));
    const env = modelEnvironment(model);
    await createAgent(env);
    const serve = startCli(['serve'], { ...env, PORT: '0' }, cwd);
    let output = '';
    serve.child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    serve.child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    servers.push({ kill: () => serve.child.kill('SIGTERM'), done: serve.done });
    await waitFor(() => /serving the API at http:\/\/\S+/.test(output), {
      what: 'autonoma serve to listen',
      timeoutMs: 180_000,
    });
    const server = output.match(/serving the API at (http:\/\/\S+)/)?.[1] ?? '';

    const pane = chat(env, ['--agent', 'careful', '--server', server], 'server');
    const header = await pane.waitForPrompt();
    expect(header).toMatch(/agent careful · conversation conv_\w+ \(server\)/);
    const conversation = conversationOf(header);

    let from = say(pane, 'please stream an answer');
    const partial = await pane.waitForText('careful> Streaming words', from);
    expect(partial.slice(from)).not.toContain('one by one');
    // A line typed while the turn runs is the next message, sent once the turn has ended.
    pane.line('hello again');
    gates.stream.release();
    await pane.waitForText(
      /arrive one by one\.\n {2}✓ run_\w+[^\n]*\n[\s\S]*careful> You said: hello again\n {2}✓ run_/,
      from,
    );
    await pane.waitForPrompt();

    from = say(pane, 'what is my favourite colour?');
    await pane.waitForText(/careful\? Which colour\?\nanswer>$/, from);
    pane.line('amber');
    await pane.waitForText(/careful> Your colour is amber\.\n {2}✓ run_/, from);
    await pane.waitForPrompt();

    from = say(pane, 'be slow');
    await pane.waitForText('careful> Thinking', from);
    pane.keys('C-c');
    await pane.waitForText(/✗ run_\w+ cancelled — cancelled at the chat prompt/, from);
    await pane.waitForPrompt();

    // An approval left unanswered (Ctrl-D leaves): the turn waits on the server.
    from = say(pane, 'please list the files');
    await pane.waitForText(/approve\? \[y\/N\]$/, from);
    pane.keys('C-d');
    await pane.waitForText(/still waits \(waiting_approval\)[\s\S]*\[exited 0\]/, from);

    // Resumed: the waiting turn is asked again first, and finishes once approved.
    const resumed = chat(env, ['--conversation', conversation, '--server', server], 'server-resumed');
    await resumed.waitForText(/continuing the last turn \(run run_\w+, waiting_approval\)/);
    await resumed.waitForText(/approve\? \[y\/N\]$/);
    from = resumed.capture().length;
    resumed.line('n');
    // The REPL follows the run as it goes on: its text streams here.
    const following = await resumed.waitForText('careful> I was', from);
    expect(following.slice(from)).not.toContain('to list.');
    gates.denied.release();
    await resumed.waitForText(/careful> I was not allowed to list\.\n {2}✓ run_/, from);
    await resumed.waitForPrompt();
    from = say(resumed, '/exit');
    await resumed.waitForText('[exited 0]', from);
  }, 600_000);

  it('with no model: says how to configure one, and runs the planner on goals in this directory', async () => {
    writeFileSync(join(cwd, 'sales.csv'), 'region,amount\nnorth,10\nsouth,32\nnorth,5\n');
    const pane = chat(environment(), [], 'planner');
    const header = await pane.waitForPrompt();
    expect(header).toContain('no model is configured');
    expect(header).toContain('AUTONOMA_MODEL=openai:gpt-4.1-mini');
    const from = say(pane, 'summarize sales.csv');
    const done = await pane.waitForText(/✓ run_\w+ · \d+ steps/, from);
    expect(done.slice(from)).toMatch(/summarize/);
    await pane.waitForPrompt();
    say(pane, '/exit');
    await pane.waitForText('[exited 0]', from);
  }, 600_000);
});
