import { spawn } from 'node:child_process';

/** How to run one process. */
export interface RunProcessOptions {
  cwd: string;
  env: Record<string, string>;
  /** The process group is killed after this long. */
  timeoutMs: number;
  /** Per stream; output beyond it is dropped and flagged. */
  maxOutputBytes: number;
  signal?: AbortSignal;
}

/** How a process ended. */
export interface ProcessOutcome {
  exitCode: number | null;
  /** The signal that ended it, if any. */
  exitSignal: string | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  /** Why it was killed, if it was. */
  killed: 'timeout' | 'cancelled' | undefined;
}

function collect(maxBytes: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  return {
    push(chunk: Buffer) {
      const room = maxBytes - size;
      if (chunk.length > room) truncated = true;
      const kept = chunk.length > room ? chunk.subarray(0, Math.max(room, 0)) : chunk;
      chunks.push(kept);
      size += kept.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
    get truncated() {
      return truncated;
    },
  };
}

/**
 * Spawns `command` with `args` and no shell (arguments stay literal), in its own process group, with
 * stdin closed. On timeout or abort the whole group gets SIGKILL. Fails only when the process cannot be
 * started; a non-zero exit is a normal outcome.
 */
export function runProcess(command: string, args: readonly string[], options: RunProcessOptions) {
  return new Promise<ProcessOutcome>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      shell: false,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout = collect(options.maxOutputBytes);
    const stderr = collect(options.maxOutputBytes);
    let killed: ProcessOutcome['killed'];
    let closeFallback: NodeJS.Timeout | undefined;
    const kill = (reason: 'timeout' | 'cancelled') => {
      if (killed || child.pid === undefined || child.exitCode !== null) return;
      killed = reason;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      // A descendant that escaped the group could hold the pipes open; stop waiting for them.
      closeFallback = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, 1000);
    };
    const timer = setTimeout(() => kill('timeout'), options.timeoutMs);
    const onAbort = () => kill('cancelled');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const cleanUp = () => {
      clearTimeout(timer);
      clearTimeout(closeFallback);
      options.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (error) => {
      cleanUp();
      reject(error);
    });
    child.on('close', (exitCode, exitSignal) => {
      cleanUp();
      resolve({
        exitCode,
        exitSignal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        truncated: stdout.truncated || stderr.truncated,
        killed,
      });
    });
  });
}
