/**
 * How the chat REPL moves a conversation's turns, embedded or against a server. Embedded, this process
 * advances each turn's run itself (and the runs it delegates to) with the run's event sink; against a
 * server, the server's workers advance it and the REPL follows its live events (SSE). Either way a
 * turn's run is driven until it ends or waits for the person at the prompt.
 */
import type { RunEvent, RunStatus } from '@autonoma/core';
import { AutonomaError, isTerminal } from '@autonoma/core';
import type { App } from '../../app.ts';
import type { RunView } from '../../api/views/runs.ts';
import { toRunView } from '../../api/views/runs.ts';
import type { ApiClient } from '../remote/api-client.ts';
import type { CliBackend } from '../remote/backend.ts';
import { localBackend } from '../remote/local-backend.ts';

/** What sending a message did: its turn's run, started at once or waiting behind the previous turn. */
export interface SentTurn {
  runId: string;
  started: boolean;
}

/** Options of {@link ChatDriver.drive}. */
export interface DriveOptions {
  /** Every event of the run (and of the runs it delegates to), `text-delta` included. */
  sink(event: RunEvent): void;
}

/** A chat's way to Autonoma. */
export interface ChatDriver {
  readonly mode: 'embedded' | 'remote';
  /** Reads (conversations, runs, explanations, memories) in the API's representation. */
  readonly backend: CliBackend;
  /** True when runs of agents on `auto` get the offline planner (embedded with no model configured). */
  readonly plannerOnly: boolean;
  /**
   * The directory the turns' tools work in (embedded: the current directory or `--workspace`); none:
   * the conversation's own workspace, under `$AUTONOMA_HOME/workspaces/` where its runs are advanced.
   */
  readonly workspace: string | undefined;
  /** Sends a message to the conversation. */
  send(conversationId: string, text: string): Promise<SentTurn>;
  /**
   * Waits for a turn's run to exist (it waits behind the previous turn's run). Resolves false when
   * `signal` aborts first, or (embedded) when nothing will start it in this process.
   */
  started(conversationId: string, runId: string, signal: AbortSignal): Promise<boolean>;
  /**
   * Advances (embedded) or follows (remote) a run until it ends or waits for a person or a timer. A
   * {@link cancel} meanwhile ends it `cancelled`, and `drive` returns once it has.
   */
  drive(runId: string, options: DriveOptions): Promise<RunView>;
  /**
   * Cancels a run, driven or waiting (and the runs it delegated to): in the store first, then whoever
   * advances it is told, and stops its in-flight model call or tool at once.
   */
  cancel(runId: string): Promise<void>;
}

/** States in which a run waits outside the REPL's drive: for a person, or a timer. */
export const waitingStates: ReadonlySet<RunStatus> = new Set([
  'waiting_approval',
  'waiting_input',
  'sleeping',
]);

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });

const isCode = (error: unknown, code: string): boolean =>
  error instanceof AutonomaError && error.code === code;

/** Cancelling a run that ended meanwhile is no failure: there is nothing left to stop. */
const ignoreEnded = (error: unknown): void => {
  if (!isCode(error, 'run_terminal')) throw error;
};

/** Options of {@link embeddedDriver}. */
export interface EmbeddedDriverOptions {
  /** An existing directory (checked) the turns' tools work in. @default the conversation's own */
  workspace?: string;
}

/** The driver of the embedded store opened (and held) by this process. */
export function embeddedDriver(app: App, options: EmbeddedDriverOptions = {}): ChatDriver {
  const scope = app.localScope;
  const { runs, conversations } = app.services;
  // No job: this process advances each turn's run itself, in the chat's workspace.
  const start = {
    enqueue: false,
    ...(options.workspace === undefined ? {} : { workspace: options.workspace }),
  };
  return {
    mode: 'embedded',
    backend: localBackend(app),
    plannerOnly: app.config.model === undefined,
    workspace: options.workspace,
    async send(conversationId, text) {
      const sent = await conversations.send(scope, conversationId, text, start);
      return { runId: sent.turn.runId, started: sent.run !== null };
    },
    async started(conversationId, runId) {
      // The previous turn may have ended since: start this one if it is next.
      await conversations.continue(scope, conversationId, start);
      return runs.get(scope, runId).then(
        () => true,
        (error: unknown) => {
          if (isCode(error, 'not_found')) return false;
          throw error;
        },
      );
    },
    async drive(runId, options) {
      const run = await runs.get(scope, runId);
      if (isTerminal(run.status) && run.finalizedAt !== null) return toRunView(run);
      if (waitingStates.has(run.status)) return toRunView(run);
      const result = await runs.advanceTree(scope, runId, { sink: options.sink });
      return toRunView(result.run);
    },
    async cancel(runId) {
      await runs.cancel(scope, runId, 'cancelled at the chat prompt').catch(ignoreEnded);
    },
  };
}

/** The driver of a server (`--server`): its workers advance the runs; the REPL follows their events. */
export function remoteDriver(client: ApiClient): ChatDriver {
  /** The last `seq` seen of each run, so a run followed again resumes where it stopped. */
  const seen = new Map<string, number>();
  return {
    mode: 'remote',
    backend: client,
    plannerOnly: false,
    workspace: undefined,
    async send(conversationId, text) {
      const sent = await client.conversations.send(conversationId, text);
      return { runId: sent.turn.runId, started: sent.run !== null };
    },
    async started(_conversationId, runId, signal) {
      // The server starts it when the previous turn's run ends.
      for (let wait = 200; !signal.aborted; wait = Math.min(wait * 2, 2000)) {
        const found = await client.runs.get(runId).then(
          () => true,
          (error: unknown) => {
            if (isCode(error, 'not_found')) return false;
            throw error;
          },
        );
        if (found) return true;
        await sleep(wait, signal);
      }
      return false;
    },
    async drive(runId, options) {
      const current = await client.runs.get(runId);
      const from = seen.get(runId) ?? 0;
      const ended = isTerminal(current.status) && current.finalizedAt !== null;
      if (ended || waitingStates.has(current.status)) {
        // What it stored since it was last followed (all of it, for a run not followed yet: one the
        // server advanced before this call, or the waiting turn of a resumed conversation) is shown.
        if (current.lastSeq > from)
          for (const event of await client.runs.events(runId, from)) options.sink(event);
        seen.set(runId, Math.max(from, current.lastSeq));
        return current;
      }
      // A cancel meanwhile ends the stream with the run's `run-end`.
      await client.followRun(runId, {
        afterSeq: from,
        onEvent: (event) => {
          if (event.runId === runId && event.seq > 0) seen.set(runId, event.seq);
          options.sink(event);
          // A run waiting for its children goes on: the server advances them, then it. A wait stored
          // before this call (replayed history: the approval just given) is not this one.
          return (
            event.type === 'step-end' &&
            event.runId === runId &&
            event.seq > current.lastSeq &&
            waitingStates.has(event.status)
          );
        },
      });
      return client.runs.get(runId);
    },
    async cancel(runId) {
      await client.runs.cancel(runId, 'cancelled at the chat prompt').catch(ignoreEnded);
    },
  };
}
