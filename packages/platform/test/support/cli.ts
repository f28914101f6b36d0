import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** Repository root. */
export const repositoryRoot = resolve(import.meta.dirname, '../../../..');
const nodeBinary = resolve(repositoryRoot, 'node_modules/.bin/node');
const cliScript = resolve(repositoryRoot, 'packages/platform/bin/autonoma.mjs');

/** The environment a CLI child gets: only what the test names, plus PATH and HOME. */
export function cliEnvironment(extra: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? '/tmp',
    OTEL_SDK_DISABLED: 'true',
    LOG_LEVEL: 'silent',
  };
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

/** A finished CLI invocation. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `autonoma <args>` as a child process. */
export function startCli(
  args: string[],
  env: Record<string, string>,
  cwd = repositoryRoot,
): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(nodeBinary, [cliScript, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliResult>((resolvePromise) => {
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Runs `autonoma <args>` to completion. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  cwd = repositoryRoot,
): Promise<CliResult> {
  return startCli(args, env, cwd).done;
}
