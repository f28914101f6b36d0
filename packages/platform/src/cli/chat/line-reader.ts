/**
 * The chat's prompt: node:readline line editing, lines typed ahead kept in order, Ctrl-C reported to
 * the REPL (which decides: cancel the turn, clear the line, or leave), Ctrl-D as the end of input, and
 * the line history kept in a file (mode 0600) across sessions.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Interface } from 'node:readline';
import { createInterface } from 'node:readline';

/** Most lines the history file keeps. */
export const historySize = 1000;

/** Options of {@link createLineReader}. */
export interface LineReaderOptions {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean };
  /** The history file (created with mode 0600); none: no history kept. */
  historyFile?: string;
  /** Ctrl-C: `line` is what the prompt holds (empty at an empty prompt). */
  onInterrupt(line: string): void;
}

/** The chat's prompt. */
export interface LineReader {
  /**
   * Shows `prompt` and resolves with the next line; null once input has ended (Ctrl-D, EOF). A line
   * typed ahead (before the prompt) is taken first, unless `fresh`: a question must be answered by a
   * line typed after it was asked, and what was typed ahead waits for the next prompt.
   */
  next(prompt: string, options?: { fresh?: boolean }): Promise<string | null>;
  /** Resolves a pending {@link next} with null (a turn cancelled while its question was asked). */
  interrupt(): void;
  /** Clears the line being edited and shows the prompt again. */
  clearLine(): void;
  /** Shows the prompt again, on a new line. */
  reprompt(): void;
  /** Removes the latest history entry when it is `line` (answers to y/N prompts are not worth keeping). */
  forget(line: string): void;
  /** True once input has ended. */
  readonly closed: boolean;
  close(): void;
}

/** Reads the history file: newest last in the file, newest first for readline. */
function loadHistory(file: string): string[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .slice(-historySize)
      .reverse();
  } catch {
    return [];
  }
}

function saveHistory(file: string, history: readonly string[]): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const text = [...history]
      .slice(0, historySize)
      .reverse()
      .map((line) => `${line.replace(/[\r\n]+/g, ' ')}\n`)
      .join('');
    writeFileSync(file, text, { mode: 0o600 });
    // A file created earlier with a wider mode is narrowed too.
    chmodSync(file, 0o600);
  } catch {
    // History is a convenience: a read-only home must not break the chat.
  }
}

/** Starts reading lines from `input`. */
export function createLineReader(options: LineReaderOptions): LineReader {
  const terminal = Boolean(options.input.isTTY && options.output.isTTY);
  const history = options.historyFile && terminal ? loadHistory(options.historyFile) : [];
  const rl: Interface = createInterface({
    input: options.input,
    output: options.output,
    terminal,
    history,
    historySize,
    removeHistoryDuplicates: true,
  });
  const queued: string[] = [];
  let waiting: ((line: string | null) => void) | undefined;
  let closed = false;

  const deliver = (line: string | null): void => {
    const resolve = waiting;
    waiting = undefined;
    resolve?.(line);
  };
  rl.on('line', (line) => {
    // Until the next prompt, what is typed ahead is echoed without one.
    rl.setPrompt('');
    if (waiting) deliver(line);
    else queued.push(line);
  });
  rl.on('close', () => {
    closed = true;
    deliver(null);
  });
  rl.on('SIGINT', () => options.onInterrupt(rl.line));
  const file = options.historyFile;
  if (file && terminal) rl.on('history', (lines: string[]) => saveHistory(file, lines));

  return {
    next(prompt, nextOptions = {}) {
      const typed = nextOptions.fresh ? undefined : queued.shift();
      if (typed !== undefined) return Promise.resolve(typed);
      if (closed) return Promise.resolve(null);
      return new Promise((resolve) => {
        waiting = resolve;
        rl.setPrompt(prompt);
        rl.prompt();
      });
    },
    interrupt() {
      if (waiting) {
        options.output.write('\n');
        deliver(null);
      }
    },
    clearLine() {
      rl.write(null, { ctrl: true, name: 'u' });
      rl.write(null, { ctrl: true, name: 'k' });
      options.output.write('\n');
      rl.prompt();
    },
    reprompt() {
      options.output.write('\n');
      rl.prompt();
    },
    forget(line) {
      const entries = (rl as Interface & { history?: string[] }).history;
      if (entries && entries[0] === line) {
        entries.shift();
        if (file && terminal) saveHistory(file, entries);
      }
    },
    get closed() {
      return closed;
    },
    close() {
      rl.close();
    },
  };
}
