/**
 * A real terminal for CLI tests: a detached tmux session (200×50) running one command, driven with
 * `send-keys` and read with `capture-pane`. Tests wait for what the screen shows, never for a time.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What a pane runs. */
export interface PaneCommand {
  /** The program and its arguments. */
  argv: string[];
  /** The whole environment of the program (nothing is inherited from the tmux server). */
  env: Record<string, string>;
  cwd: string;
}

const quote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;
const tmux = (...args: string[]): string => execFileSync('tmux', args, { encoding: 'utf8' });

/** A tmux session running one command. */
export class Pane {
  readonly name: string;
  #closed = false;

  private constructor(name: string) {
    this.name = name;
  }

  /**
   * Starts `command` in a new detached session with a unique name. When the command ends, the pane
   * shows `[exited <code>]` and stays, so its last screen can still be read.
   */
  static start(command: PaneCommand, label: string): Pane {
    const name = `autonoma-${label}-${process.pid}-${randomBytes(4).toString('hex')}`;
    // Outside the working directory: the command's own files are all that is there.
    const script = join(tmpdir(), `${name}.sh`);
    const env = Object.entries({ TERM: 'xterm-256color', ...command.env }).map(
      ([key, value]) => `${key}=${quote(value)}`,
    );
    writeFileSync(
      script,
      [
        `cd ${quote(command.cwd)}`,
        `env -i ${env.join(' ')} ${command.argv.map(quote).join(' ')}`,
        'echo "[exited $?]"',
        'sleep 3600',
        '',
      ].join('\n'),
    );
    tmux('new-session', '-d', '-s', name, '-x', '200', '-y', '50', 'sh', script);
    return new Pane(name);
  }

  /** The screen and its scrollback, wrapped lines joined, trailing blank lines dropped. */
  capture(): string {
    return tmux('capture-pane', '-p', '-J', '-S', '-', '-t', this.name).replace(/\s+$/, '');
  }

  /** Sends keys as tmux names them (`Enter`, `C-c`, `Up`…). */
  keys(...keys: string[]): void {
    tmux('send-keys', '-t', this.name, ...keys);
  }

  /** Types `text` literally (no key names), then Enter. */
  line(text: string): void {
    tmux('send-keys', '-t', this.name, '-l', text);
    tmux('send-keys', '-t', this.name, 'Enter');
  }

  /**
   * Polls the screen until `condition` holds for it and returns that screen; on timeout, fails with
   * `what` and the screen as it was.
   */
  async waitFor(what: string, condition: (screen: string) => boolean, timeoutMs = 120_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.capture();
      if (condition(screen)) return screen;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; the terminal showed:\n${screen}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Waits until the text after `from` (an index into the screen) contains `text`. */
  async waitForText(text: string | RegExp, from = 0, timeoutMs?: number): Promise<string> {
    return this.waitFor(
      String(text),
      (screen) => {
        const tail = screen.slice(from);
        return typeof text === 'string' ? tail.includes(text) : text.test(tail);
      },
      timeoutMs,
    );
  }

  /** Waits for an empty chat prompt (`you> `) as the screen's last line. */
  async waitForPrompt(prompt = 'you>'): Promise<string> {
    return this.waitFor(`the prompt '${prompt}'`, (screen) => screen.split('\n').at(-1)?.trim() === prompt);
  }

  /** Ends the session (and its command). */
  kill(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      tmux('kill-session', '-t', this.name);
    } catch {
      // Already gone.
    }
  }
}
