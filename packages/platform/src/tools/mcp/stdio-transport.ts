import type { ChildProcessByStdio } from 'node:child_process';
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** What {@link ProcessTransport} starts. */
export interface ProcessTransportOptions {
  command: string;
  args: readonly string[];
  /** The child's whole environment: nothing is inherited from the platform. */
  env: Readonly<Record<string, string>>;
  /** Time between closing stdin and SIGTERM, and between SIGTERM and SIGKILL. @default 1000 */
  graceMs?: number;
}

/** How the child ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const stderrTailBytes = 2048;

/**
 * An MCP client transport over a child's stdin/stdout. Unlike the SDK's `StdioClientTransport` it
 * passes only the given environment (the SDK's adds `HOME`, `USER`, `SHELL`, …), runs the child in its
 * own process group so `close()` also ends whatever the server started (`npx` → `node`), and keeps the
 * exit status and the end of stderr for failure messages.
 */
export class ProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  readonly #options: ProcessTransportOptions;
  readonly #buffer = new ReadBuffer();
  #child: ChildProcessByStdio<Writable, Readable, Readable> | undefined;
  #exit: ProcessExit | undefined;
  #closed: Promise<void> | undefined;
  #stderr = '';

  constructor(options: ProcessTransportOptions) {
    this.#options = options;
  }

  /** The child's process id, once started. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** How the child ended, once it has. */
  get exit(): ProcessExit | undefined {
    return this.#exit;
  }

  /** The last line the child wrote to stderr (at most 2 KiB are kept). */
  get lastStderrLine(): string {
    const lines = this.#stderr.split('\n').filter((line) => line.trim() !== '');
    return lines.at(-1)?.trim() ?? '';
  }

  start(): Promise<void> {
    if (this.#child) throw new Error('ProcessTransport already started');
    const child = spawn(this.#options.command, [...this.#options.args], {
      env: { ...this.#options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
      detached: true,
    });
    this.#child = child;
    this.#closed = new Promise((resolve) => child.once('close', () => resolve()));
    return new Promise((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (error) => {
        reject(error);
        this.onerror?.(error);
      });
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        // Whatever the server started dies with it, and its open pipes no longer delay 'close'.
        this.#signalGroup('SIGKILL');
      });
      child.once('close', () => this.onclose?.());
      child.stdin.on('error', (error) => this.onerror?.(error));
      child.stdout.on('error', (error) => this.onerror?.(error));
      child.stdout.on('data', (chunk: Buffer) => this.#receive(chunk));
      child.stderr.on('data', (chunk: Buffer) => {
        this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-stderrTailBytes);
      });
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      const stdin = this.#child?.stdin;
      if (!stdin || this.#exit || !stdin.writable) {
        reject(new Error('not connected: the server process is not running'));
        return;
      }
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', () => resolve());
    });
  }

  /** Closes stdin, then SIGTERMs and finally SIGKILLs the process group; resolves once the child is gone. */
  async close(): Promise<void> {
    const child = this.#child;
    const closed = this.#closed;
    if (!child || !closed) return;
    const graceMs = this.#options.graceMs ?? 1000;
    const within = (ms: number) =>
      Promise.race([
        closed.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(resolve, ms, false)),
      ]);
    child.stdin.end();
    if (!(await within(graceMs))) {
      this.#signalGroup('SIGTERM');
      if (!(await within(graceMs))) this.#signalGroup('SIGKILL');
    }
    await closed;
    this.#buffer.clear();
  }

  #receive(chunk: Buffer): void {
    try {
      this.#buffer.append(chunk);
    } catch (error: unknown) {
      // A message over the buffer limit: the stream cannot be resynchronized, so the server is ended.
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      this.close().catch(() => undefined);
      return;
    }
    for (;;) {
      try {
        const message = this.#buffer.readMessage();
        if (message === null) return;
        this.onmessage?.(message);
      } catch (error: unknown) {
        // A line that is not JSON-RPC (a server logging to stdout): reported, and the stream goes on.
        this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  #signalGroup(signal: NodeJS.Signals): void {
    const pid = this.#child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  }
}
