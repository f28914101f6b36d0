/**
 * `autonoma chat`: a terminal REPL on a conversation. Each line is a message; its turn's run is driven
 * (embedded) or followed (remote) with the agent's text streamed as it is written and tool calls shown
 * inline. A run that waits for an approval or an answer asks for it at the prompt, then goes on.
 * Ctrl-C cancels the turn in progress (the REPL stays); at an empty prompt it says how to leave, and a
 * second one, Ctrl-D or `/exit` leaves. `--conversation ID` resumes a conversation.
 */
import type { RunEvent } from '@autonoma/core';
import { defaultAgentName, isTerminal, userError } from '@autonoma/core';
import type { AgentView } from '../../api/views/agents.ts';
import type { ConversationDetail, ConversationView, MessageView } from '../../api/views/conversations.ts';
import type { RunView } from '../../api/views/runs.ts';
import { errorLine } from '../output.ts';
import { renderExplanation } from '../render-explanation.ts';
import type { ChatDriver } from './chat-driver.ts';
import type { LineReader } from './line-reader.ts';
import { createLineReader } from './line-reader.ts';
import type { ChatScreen } from './turn-renderer.ts';
import { createTurnRenderer, styles } from './turn-renderer.ts';

/** Options of {@link runChat}. */
export interface ChatOptions {
  /** The agent of a new conversation (name or id). @default the default agent */
  agent?: string;
  /** A conversation to resume. */
  conversation?: string;
  /** Where the line history is kept (`$AUTONOMA_HOME/chat_history`). */
  historyFile?: string;
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Turns shown when a conversation is resumed. */
const resumedTurns = 5;

const prompt = 'you> ';

const commandHelp = [
  ['/help', 'this list'],
  ['/runs', "this conversation's turns: their runs and how they ended"],
  ['/explain [runId]', 'why the last turn (or that run) did what it did'],
  ['/memory', "the agent's memories"],
  ['/new', 'start a new conversation with the same agent'],
  ['/exit', 'leave (Ctrl-D too); the conversation stays, resume it with --conversation'],
] as const;

const plannerHint = (agent: string, configured: boolean): string[] => [
  configured
    ? `agent ${agent} runs on the offline planner: each message is a goal for it.`
    : 'no model is configured: each message runs through the offline planner, as a goal.',
  '  It understands goals such as "summarize data.csv" or "analyse the source tree in . and write a report".',
  ...(configured
    ? []
    : ['  To chat with a model: AUTONOMA_MODEL=openai:gpt-4.1-mini OPENAI_API_KEY=… autonoma chat']),
];

const clip = (value: unknown, max: number): string => {
  const text = (typeof value === 'string' ? value : (JSON.stringify(value) ?? '')).replace(/\s*\n\s*/g, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
};

/** The turn in progress: Ctrl-C cancels it. */
interface ActiveTurn {
  runId: string;
  controller: AbortController;
  cancelled: boolean;
}

/** Runs the REPL until the user leaves. */
export async function runChat(driver: ChatDriver, options: ChatOptions): Promise<void> {
  const repl = new ChatRepl(driver, options);
  await repl.run();
}

class ChatRepl {
  readonly #driver: ChatDriver;
  readonly #options: ChatOptions;
  readonly #screen: ChatScreen;
  readonly #style: ReturnType<typeof styles>;
  #lines: LineReader | undefined;
  #agent: AgentView | undefined;
  #conversation: ConversationView | undefined;
  #lastRunId: string | undefined;
  #turn: ActiveTurn | undefined;
  #interruptedOnce = false;
  #hinted = false;

  constructor(driver: ChatDriver, options: ChatOptions) {
    this.#driver = driver;
    this.#options = options;
    const color = Boolean(options.output.isTTY);
    this.#screen = { write: (text) => void options.output.write(text), color };
    this.#style = styles(color);
  }

  async run(): Promise<void> {
    const resumed = await this.#open();
    const lines = createLineReader({
      input: this.#options.input,
      output: this.#options.output,
      ...(this.#options.historyFile ? { historyFile: this.#options.historyFile } : {}),
      onInterrupt: (line) => this.#onInterrupt(line),
    });
    this.#lines = lines;
    // Without a terminal, Ctrl-C arrives as a signal rather than through the line editor.
    const onSignal = (): void => this.#onInterrupt('');
    if (!this.#options.input.isTTY) process.on('SIGINT', onSignal);
    try {
      // A turn left unfinished by an earlier session (a run waiting for approval, a crash) goes first.
      const last = resumed?.messages.findLast((message) => message.role === 'agent');
      if (last && last.role === 'agent' && !isTerminal(last.status as RunView['status'])) {
        this.#line(this.#style.dim(`continuing the last turn (run ${last.runId}, ${last.status})`));
        await this.#runTurn(last.runId, last.status !== 'pending');
      }
      for (;;) {
        const line = await lines.next(prompt);
        if (line === null) break;
        this.#interruptedOnce = false;
        const text = line.trim();
        if (text === '') continue;
        if (text.startsWith('/')) {
          if ((await this.#command(text)) === 'exit') break;
          continue;
        }
        await this.#send(text);
      }
    } finally {
      process.removeListener('SIGINT', onSignal);
      lines.close();
    }
    const id = this.#conversation?.id;
    if (id) this.#line(this.#style.dim(`conversation ${id} kept: autonoma chat --conversation ${id}`));
  }

  /** Opens the conversation (resumed or new) and prints its header; returns the resumed one. */
  async #open(): Promise<ConversationDetail | undefined> {
    const { backend } = this.#driver;
    const style = this.#style;
    let resumed: ConversationDetail | undefined;
    if (this.#options.conversation) {
      resumed = await backend.conversations.get(this.#options.conversation, { last: resumedTurns });
      this.#agent = await backend.agents.get(resumed.agentId);
      const wanted = this.#options.agent;
      if (wanted !== undefined && wanted !== this.#agent.name && wanted !== this.#agent.id)
        throw userError(
          'invalid_input',
          `conversation ${resumed.id} is with agent ${this.#agent.name}, not ${wanted}: drop --agent`,
        );
      const { messages: _messages, ...conversation } = resumed;
      this.#conversation = conversation;
    } else {
      this.#agent = await backend.agents.get(this.#options.agent ?? defaultAgentName);
      this.#conversation = await backend.conversations.create({ agent: this.#agent.id });
    }
    const conversation = this.#conversation;
    this.#line(
      `${style.bold('autonoma chat')} · agent ${this.#agent.name} · conversation ${conversation.id}${this.#driver.mode === 'remote' ? ' (server)' : ''}`,
    );
    if (resumed) {
      const earlier = conversation.turns - Math.min(conversation.turns, resumedTurns);
      this.#line(
        style.dim(
          `${conversation.turns} turn${conversation.turns === 1 ? '' : 's'} so far${earlier > 0 ? `; the last ${resumedTurns}:` : ':'}`,
        ),
      );
      for (const message of resumed.messages) this.#showMessage(message);
    } else {
      this.#line(
        style.dim(`new conversation; resume it later with: autonoma chat --conversation ${conversation.id}`),
      );
    }
    this.#line(
      style.dim(
        this.#driver.workspace === undefined
          ? "the agent's tools work in this conversation's own workspace"
          : `the agent's tools work in ${this.#driver.workspace}`,
      ),
    );
    if (this.#driver.plannerOnly && this.#agent.brain !== 'model') this.#hint(false);
    else if (this.#agent.brain === 'planner') this.#hint(true);
    this.#line(style.dim('/help lists the commands · Ctrl-C cancels a turn · Ctrl-D or /exit leaves'));
    return resumed;
  }

  #hint(configured: boolean): void {
    if (this.#hinted) return;
    this.#hinted = true;
    for (const line of plannerHint(this.#agent?.name ?? defaultAgentName, configured))
      this.#line(this.#style.yellow(line));
  }

  #showMessage(message: MessageView): void {
    const style = this.#style;
    if (message.role === 'user') {
      this.#line(`${prompt}${message.text}`);
      return;
    }
    this.#lastRunId = message.runId;
    if (message.text && message.status === 'succeeded')
      this.#line(`${style.cyan(`${this.#agent?.name ?? 'agent'}>`)} ${message.text}`);
    else
      this.#line(
        style.dim(
          `  (${message.runId} ${message.status}${message.reason ? ` — ${clip(message.reason, 100)}` : ''})`,
        ),
      );
  }

  async #send(text: string): Promise<void> {
    const conversation = this.#conversation;
    if (!conversation) return;
    try {
      const sent = await this.#driver.send(conversation.id, text);
      await this.#runTurn(sent.runId, sent.started);
    } catch (error) {
      this.#error(error);
    }
  }

  /** Drives a turn's run to its end, asking at the prompt for what it waits on. */
  async #runTurn(runId: string, started: boolean): Promise<void> {
    const turn: ActiveTurn = { runId, controller: new AbortController(), cancelled: false };
    this.#turn = turn;
    this.#lastRunId = runId;
    const renderer = createTurnRenderer(this.#screen, runId, this.#agent?.name ?? 'agent');
    const sink = (event: RunEvent): void => {
      if (event.type === 'run-start' && event.runId === runId && event.brain === 'planner')
        this.#hint(this.#driver.mode === 'embedded' ? !this.#driver.plannerOnly : true);
      renderer.sink(event);
    };
    try {
      if (!started) {
        this.#line(
          this.#style.dim(
            `  (this message waits behind the previous turn: run ${runId} starts when it ends)`,
          ),
        );
        const conversationId = this.#conversation?.id ?? '';
        if (!(await this.#driver.started(conversationId, runId, turn.controller.signal))) {
          this.#line(
            this.#style.dim(`  (run ${runId} has not started; it will when the previous turn ends)`),
          );
          return;
        }
      }
      for (;;) {
        const run = await this.#driver.drive(runId, { sink });
        if (isTerminal(run.status)) {
          renderer.finish(run);
          return;
        }
        renderer.breakLine();
        if (turn.cancelled) {
          await this.#driver.cancel(runId);
          continue;
        }
        const asked =
          run.status === 'waiting_approval'
            ? await this.#approve(run)
            : run.status === 'waiting_input'
              ? await this.#answer(run)
              : 'other';
        if (asked === 'answered') continue;
        if (asked === 'stopped' && turn.cancelled) {
          await this.#driver.cancel(runId);
          continue;
        }
        if (asked === 'stopped') {
          this.#line(
            this.#style.dim(
              `  run ${runId} still waits (${run.status}); autonoma chat --conversation resumes it`,
            ),
          );
          return;
        }
        this.#line(
          this.#style.dim(
            `  run ${runId} is ${run.status}${run.wakeAt ? ` until ${new Date(run.wakeAt).toISOString()}` : ''}; it goes on without the prompt`,
          ),
        );
        return;
      }
    } catch (error) {
      renderer.breakLine();
      this.#error(error);
    } finally {
      this.#turn = undefined;
    }
  }

  /** Asks at the prompt for each approval the run waits on; 'stopped' when no answer came. */
  async #approve(run: RunView): Promise<'answered' | 'stopped'> {
    const { backend } = this.#driver;
    const style = this.#style;
    const events = await backend.runs.events(run.id);
    const resolved = new Set(
      events.flatMap((event) => (event.type === 'approval-resolve' ? [event.callId] : [])),
    );
    const pending = events.flatMap((event) =>
      event.type === 'approval-request' && !resolved.has(event.callId) ? [event] : [],
    );
    for (const request of pending) {
      this.#line(style.yellow(`  ⏸ ${request.tool} ${clip(request.args, 300)}`));
      this.#line(style.dim(`    ${request.reason}`));
      const reply = await this.#lines?.next('approve? [y/N] ', { fresh: true });
      if (reply === null || reply === undefined) return this.#stopped();
      this.#lines?.forget(reply);
      const approved = /^\s*y(es)?\s*$/i.test(reply);
      await backend.runs.resolveApproval(run.id, request.callId, {
        approved,
        ...(approved ? {} : { reason: 'denied at the chat prompt' }),
      });
      this.#line(style.dim(`  ${approved ? 'approved' : 'denied'} ${request.tool}`));
    }
    return 'answered';
  }

  /** Shows the run's question and takes the next line as its answer. */
  async #answer(run: RunView): Promise<'answered' | 'stopped'> {
    const { backend } = this.#driver;
    const events = await backend.runs.events(run.id);
    let question = 'the agent asks a question';
    for (const event of events) {
      if (event.type === 'step-end' && event.outcome.kind === 'interrupt' && event.outcome.question)
        question = event.outcome.question;
    }
    this.#line(`${this.#style.cyan(`${this.#agent?.name ?? 'agent'}?`)} ${question}`);
    for (;;) {
      const reply = await this.#lines?.next('answer> ', { fresh: true });
      if (reply === null || reply === undefined) return this.#stopped();
      if (reply.trim() === '') continue;
      await backend.runs.answer(run.id, reply);
      return 'answered';
    }
  }

  /** No answer came at a prompt (Ctrl-D, or a cancel): the prompt's line is ended. */
  #stopped(): 'stopped' {
    if (this.#lines?.closed) this.#screen.write('\n');
    return 'stopped';
  }

  /** Ctrl-C: cancels the turn; clears a line being typed; at an empty prompt, says how to leave. */
  #onInterrupt(line: string): void {
    const lines = this.#lines;
    const turn = this.#turn;
    if (turn) {
      if (turn.cancelled) return;
      turn.cancelled = true;
      this.#screen.write(`\n${this.#style.yellow(`^C cancelling run ${turn.runId}…`)}\n`);
      // The drive in progress returns once the run has ended cancelled.
      this.#driver.cancel(turn.runId).catch((error: unknown) => this.#error(error));
      // A turn still waiting to start stops waiting; a question or an approval being asked is
      // answered by the cancel.
      turn.controller.abort();
      lines?.interrupt();
      return;
    }
    if (!lines) return;
    if (line !== '') {
      this.#interruptedOnce = false;
      lines.clearLine();
      return;
    }
    if (this.#interruptedOnce) {
      this.#screen.write('\n');
      lines.close();
      return;
    }
    this.#interruptedOnce = true;
    this.#screen.write(`\n${this.#style.dim('(to leave, press Ctrl-C again or Ctrl-D, or type /exit)')}`);
    lines.reprompt();
  }

  /** Runs a slash command; 'exit' to leave. */
  async #command(text: string): Promise<'exit' | undefined> {
    const [name, ...rest] = text.split(/\s+/);
    const style = this.#style;
    const { backend } = this.#driver;
    try {
      switch (name) {
        case '/exit':
        case '/quit':
          return 'exit';
        case '/help':
          for (const [command, what] of commandHelp) this.#line(`  ${command.padEnd(18)} ${what}`);
          this.#line(style.dim('  anything else is a message to the agent'));
          return undefined;
        case '/runs': {
          const detail = await backend.conversations.get(this.#conversation?.id ?? '');
          const asked = new Map(
            detail.messages.flatMap((message) =>
              message.role === 'user' ? [[message.seq, message.text]] : [],
            ),
          );
          if (detail.messages.length === 0) this.#line('  no turns yet');
          for (const message of detail.messages) {
            if (message.role !== 'agent') continue;
            this.#line(
              `  #${message.seq}  ${message.runId}  ${message.status.padEnd(16)} ${clip(asked.get(message.seq) ?? '', 60)}`,
            );
          }
          return undefined;
        }
        case '/explain': {
          const runId = rest[0] ?? this.#lastRunId;
          if (!runId) {
            this.#line('  no turn yet: send a message first');
            return undefined;
          }
          for (const line of renderExplanation(await backend.runs.explain(runId))) this.#line(`  ${line}`);
          return undefined;
        }
        case '/memory': {
          const memories = await backend.memories.list({
            agent: this.#agent?.id ?? defaultAgentName,
            limit: 10,
          });
          if (memories.length === 0) this.#line(`  agent ${this.#agent?.name ?? ''} has no memories yet`);
          for (const memory of memories)
            this.#line(
              `  ${memory.kind.padEnd(7)} ${memory.importance.toFixed(2)}  ${clip(memory.text, 100)}`,
            );
          return undefined;
        }
        case '/new': {
          this.#conversation = await backend.conversations.create({
            agent: this.#agent?.id ?? defaultAgentName,
          });
          this.#lastRunId = undefined;
          this.#line(
            `new conversation ${this.#conversation.id} with agent ${this.#agent?.name ?? ''} ${style.dim(`(resume it with: autonoma chat --conversation ${this.#conversation.id})`)}`,
          );
          return undefined;
        }
        default:
          this.#line(`  unknown command ${name ?? text}; /help lists them`);
          return undefined;
      }
    } catch (error) {
      this.#error(error);
      return undefined;
    }
  }

  #error(error: unknown): void {
    this.#line(this.#style.red(`error: ${errorLine(error)}`));
  }

  #line(text: string): void {
    this.#screen.write(`${text}\n`);
  }
}
