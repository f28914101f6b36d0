import type {
  Agent,
  Clock,
  Conversation,
  ConversationContext,
  ConversationStore,
  ConversationTurn,
  IdGenerator,
  Run,
  Scope,
  TerminalStatus,
} from '@autonoma/core';
import {
  estimateTokens,
  findUnstorable,
  isTerminal,
  maxGoalLength,
  notFound,
  userError,
} from '@autonoma/core';
import type { RunService } from './run-service.ts';

/** One message of a conversation as every interface shows it. */
export type ConversationMessage =
  | { seq: number; role: 'user'; text: string; at: number; runId: string }
  | {
      seq: number;
      role: 'agent';
      /** The run's answer; null while it runs, or when it ended without one. */
      text: string | null;
      runId: string;
      /** `pending` until the turn's run starts (it waits for the previous turn to end). */
      status: Run['status'] | 'pending';
      reason: string | null;
      at: number | null;
    };

/** What sending a message did: the turn, and its run when it started at once. */
export interface SentMessage {
  turn: ConversationTurn;
  /** Null when the previous turn's run is still going: the message waits behind it. */
  run: Run | null;
}

/** What the conversation service needs. */
export interface ConversationServiceDeps {
  conversations: ConversationStore;
  runs: Pick<RunService, 'start' | 'get' | 'list' | 'agent' | 'cancel'>;
  clock: Clock;
  ids: IdGenerator;
}

/** Longest title, in characters. */
const maxTitleLength = 200;
/** Most characters of one earlier turn's message or answer carried into a later turn's context. */
const maxTurnChars = 4_000;
/** How a turn started now is started. */
export interface TurnStartOptions {
  /** Write the run's job (a queue advances it); without it the caller advances the run itself. */
  enqueue?: boolean;
  /**
   * An existing directory the turn's tools work in, for a turn this process advances itself (the
   * embedded chat's current directory). @default the conversation's own workspace id
   */
  workspace?: string;
}

/** Most characters of the summary of turns too old to carry as they were. */
const maxSummaryChars = 2_000;

const clip = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

/**
 * Conversations (ARCHITECTURE §3): threads of user messages with one agent. Each message starts a run
 * whose context carries the earlier turns (bounded and summarized); a message sent while the previous
 * turn's run is still going waits behind it and starts when it ends — whichever process sees that
 * end (or, after a crash, the next sweep) starts it, once.
 */
export class ConversationService {
  readonly #deps: ConversationServiceDeps;

  constructor(deps: ConversationServiceDeps) {
    this.#deps = deps;
  }

  /** Starts a conversation with an agent (the default agent unless one is named). */
  async create(scope: Scope, input: { agent?: string; title?: string } = {}): Promise<Conversation> {
    const deps = this.#deps;
    const title = (input.title ?? '').trim();
    if (title.length > maxTitleLength)
      throw userError('invalid_input', `the title is longer than ${maxTitleLength} characters`);
    const agent: Agent = await deps.runs.agent(scope, input.agent);
    return deps.conversations.create({
      id: deps.ids.next('conv'),
      orgId: scope.orgId,
      agentId: agent.id,
      title: title || 'conversation',
      now: deps.clock.now(),
    });
  }

  /** A conversation of the caller's organization, or `not_found`. */
  async get(scope: Scope, id: string): Promise<Conversation> {
    const conversation = await this.#deps.conversations.get(scope.orgId, id);
    if (!conversation) throw notFound('conversation', id);
    return conversation;
  }

  /** The caller's conversations, most recently active first. */
  list(scope: Scope, query: { limit?: number; before?: string } = {}): Promise<Conversation[]> {
    return this.#deps.conversations.list({ orgId: scope.orgId, ...query });
  }

  /** A conversation's messages in order: each user message, then its run's answer (or state). */
  async messages(scope: Scope, id: string, query: { afterSeq?: number; limit?: number } = {}) {
    const conversation = await this.get(scope, id);
    const turns = await this.#deps.conversations.turns(scope.orgId, id, query);
    const messages: ConversationMessage[] = [];
    for (const turn of turns) {
      messages.push({
        seq: turn.seq,
        role: 'user',
        text: turn.message,
        at: turn.createdAt,
        runId: turn.runId,
      });
      const run = turn.seq <= conversation.started ? await this.#run(scope, turn.runId) : undefined;
      messages.push({
        seq: turn.seq,
        role: 'agent',
        text: run?.answer ?? null,
        runId: turn.runId,
        status: run?.status ?? 'pending',
        reason: run?.reason ?? null,
        at: run?.endedAt ?? null,
      });
    }
    return { conversation, messages };
  }

  /**
   * Sends a user message: it becomes the next turn, and its run starts now unless the previous turn's
   * run is still going (then it waits behind it, never interleaved). `enqueue` writes the run's job
   * (a queue advances it); without it the caller advances the run itself.
   */
  async send(scope: Scope, id: string, text: string, options: TurnStartOptions = {}): Promise<SentMessage> {
    const deps = this.#deps;
    const message = text.trim();
    if (message === '') throw userError('invalid_input', 'the message is empty');
    if (message.length > maxGoalLength)
      throw userError('invalid_input', `the message is longer than ${maxGoalLength} characters`);
    if (findUnstorable(message) !== undefined)
      throw userError('invalid_input', 'the message contains a NUL character or broken Unicode');
    await this.get(scope, id);
    const turn = await deps.conversations.appendTurn(scope.orgId, id, { message, now: deps.clock.now() });
    if (!turn) throw notFound('conversation', id);
    const started = await this.continue(scope, id, options);
    return { turn, run: started?.id === turn.runId ? started : null };
  }

  /**
   * Starts the conversation's next turn when the last started one has ended: its run is created (with
   * its fixed id, so a second attempt finds it) and the turn recorded as started. Idempotent; returns
   * the run started, if any.
   */
  async continue(scope: Scope, id: string, options: TurnStartOptions = {}): Promise<Run | undefined> {
    const deps = this.#deps;
    const conversation = await deps.conversations.get(scope.orgId, id);
    if (!conversation || conversation.started >= conversation.turns) return undefined;
    const [last] =
      conversation.started === 0
        ? []
        : await deps.conversations.turns(scope.orgId, id, { afterSeq: conversation.started - 1, limit: 1 });
    if (last) {
      const previous = await this.#run(scope, last.runId);
      // Its run was never created (a crash between the two writes): start it first.
      if (previous && !isTerminal(previous.status)) return undefined;
      if (!previous) return this.#startTurn(scope, conversation, last, options);
    }
    const [next] = await deps.conversations.turns(scope.orgId, id, {
      afterSeq: conversation.started,
      limit: 1,
    });
    if (!next) return undefined;
    return this.#startTurn(scope, conversation, next, options);
  }

  /**
   * Deletes a conversation and its turns: the messages waiting behind the running turn are dropped, and
   * the running turn's run (if any) is cancelled. The runs that answered turns stay, as runs.
   */
  async delete(scope: Scope, id: string): Promise<void> {
    const deps = this.#deps;
    await this.get(scope, id);
    // Deleted first: the cancelled run's end then finds no next turn to start.
    if (!(await deps.conversations.delete(scope.orgId, id))) throw notFound('conversation', id);
    const unfinished = await deps.runs.list(scope, {
      conversationId: id,
      status: ['queued', 'running', 'waiting_approval', 'waiting_children', 'waiting_input', 'sleeping'],
      limit: 100,
    });
    for (const run of unfinished) {
      await deps.runs.cancel(scope, run.id, 'its conversation was deleted').catch((error: unknown) => {
        // It ended meanwhile: nothing left to stop.
        if ((error as { code?: string }).code !== 'run_terminal') throw error;
      });
    }
  }

  /** Called when a run ended: a conversation's next turn starts. */
  async runEnded(run: Run): Promise<void> {
    if (run.conversationId === null) return;
    await this.continue({ orgId: run.orgId, actor: 'system' }, run.conversationId, { enqueue: true });
  }

  /**
   * Starts the waiting turns of conversations whose running turn ended while no process saw it (a
   * crash between a run's end and its next turn's start). Returns how many turns it started.
   */
  async resumeStalled(query: { orgId?: string; limit?: number } = {}): Promise<number> {
    const stalled = await this.#deps.conversations.withPendingTurns({
      ...(query.orgId === undefined ? {} : { orgId: query.orgId }),
      limit: query.limit ?? 100,
    });
    let started = 0;
    for (const conversation of stalled) {
      const run = await this.continue({ orgId: conversation.orgId, actor: 'system' }, conversation.id, {
        enqueue: true,
      });
      if (run) started += 1;
    }
    return started;
  }

  /**
   * The earlier turns a turn's run sees: the most recent as they were (up to half the agent's working
   * memory), the older ones summarized. Undefined for a run that answers no conversation.
   */
  async contextFor(run: Run, agent: Agent): Promise<ConversationContext | undefined> {
    if (run.conversationId === null) return undefined;
    const scope = { orgId: run.orgId, actor: 'system' };
    const turns = await this.#deps.conversations.turns(run.orgId, run.conversationId);
    const mine = turns.find((turn) => turn.runId === run.id);
    const earlier = turns.filter((turn) => mine === undefined || turn.seq < mine.seq);
    const answered: ConversationContext['turns'] = [];
    for (const turn of earlier) {
      const ran = await this.#run(scope, turn.runId);
      answered.push({
        user: clip(turn.message, maxTurnChars),
        agent: ran?.answer ? clip(ran.answer, maxTurnChars) : null,
        status: ran?.status ?? 'pending',
      });
    }
    // The most recent turns as they were, within half the working-memory budget.
    const budget = Math.floor(agent.memory.workingTokens / 2);
    let used = 0;
    let keepFrom = answered.length;
    while (keepFrom > 0) {
      const turn = answered[keepFrom - 1];
      const cost = estimateTokens(turn?.user ?? '') + estimateTokens(turn?.agent ?? '');
      if (used + cost > budget && keepFrom < answered.length) break;
      used += cost;
      keepFrom -= 1;
    }
    const older = answered.slice(0, keepFrom);
    const summary =
      older.length === 0
        ? null
        : clip(
            older
              .map(
                (turn, index) =>
                  `turn ${index + 1}: the user said "${clip(turn.user, 160)}"; ${turn.agent ? `the agent answered "${clip(turn.agent, 240)}"` : `no answer (${turn.status as TerminalStatus})`}`,
              )
              .join('\n'),
            maxSummaryChars,
          );
    return { summary, turns: answered.slice(keepFrom) };
  }

  async #startTurn(
    scope: Scope,
    conversation: Conversation,
    turn: ConversationTurn,
    options: TurnStartOptions,
  ): Promise<Run> {
    const deps = this.#deps;
    const run = await deps.runs.start(scope, {
      id: turn.runId,
      goal: turn.message,
      agent: conversation.agentId,
      conversationId: conversation.id,
      workspaceId: `ws_${conversation.id.replace(/^conv_/, '')}`,
      ...(options.workspace === undefined ? {} : { workspace: options.workspace }),
      enqueue: options.enqueue ?? true,
    });
    await deps.conversations.markStarted(scope.orgId, conversation.id, turn.seq, deps.clock.now());
    return run;
  }

  async #run(scope: Scope, runId: string): Promise<Run | undefined> {
    return this.#deps.runs.get(scope, runId).catch((error: unknown) => {
      if ((error as { code?: string }).code === 'not_found') return undefined;
      throw error;
    });
  }
}
