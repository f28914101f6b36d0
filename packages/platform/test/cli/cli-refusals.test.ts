import type { SpawnOptions } from 'node:child_process';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliResult } from '../support/cli.ts';
import { cliEnvironment, repositoryRoot } from '../support/cli.ts';

/** A directory anyone may enter (the read-only cases run the CLI as another user when we are root). */
const temporary = (): string => {
  const directory = mkdtempSync(join(tmpdir(), 'autonoma-refusals-'));
  chmodSync(directory, 0o755);
  return directory;
};

const isRoot = process.getuid?.() === 0;
const nobody = 65_534;

/**
 * Runs `autonoma <args>`; a child still running after `killAfterMs` is killed, so a hang fails the test
 * (signal SIGKILL) instead of leaving a process spinning behind it.
 */
function runCli(
  args: string[],
  env: Record<string, string>,
  options: { cwd: string; asNobody?: boolean; killAfterMs?: number },
): Promise<CliResult> {
  const spawnOptions: SpawnOptions = {
    cwd: options.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.asNobody ? { uid: nobody, gid: nobody } : {}),
  };
  const child = spawn(
    join(repositoryRoot, 'node_modules/.bin/node'),
    [join(repositoryRoot, 'packages/platform/bin/autonoma.mjs'), ...args],
    spawnOptions,
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 60_000);
  return new Promise((resolvePromise) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

const oneLine = (text: string): void => {
  expect(text.trim().split('\n')).toHaveLength(1);
  expect(text).not.toMatch(/\n\s+at /);
};

/** Generous: the machine may be loaded. A hang is cut at 60 s by the kill above. */
const timeout = 90_000;

describe('an unusable AUTONOMA_HOME fails at once with one line', () => {
  const refused = async (
    home: string,
    reason: RegExp,
    options: { asNobody?: boolean; env?: Record<string, string>; cwd?: string } = {},
  ): Promise<void> => {
    const result = await runCli(['runs', 'list'], cliEnvironment({ AUTONOMA_HOME: home, ...options.env }), {
      cwd: options.cwd ?? temporary(),
      ...(options.asNobody ? { asNobody: true } : {}),
    });
    expect(result.signal).toBeNull();
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    oneLine(result.stderr);
    expect(result.stderr).toContain(`AUTONOMA_HOME=${home} is not usable: `);
    expect(result.stderr).toMatch(reason);
  };

  it.skipIf(!existsSync('/proc/1'))(
    'a home under /proc (it used to hang for ever)',
    async () => {
      await refused('/proc/1/x', /\/proc\/1\/x\/data is under \/proc/);
    },
    timeout,
  );

  it.skipIf(!existsSync('/sys/kernel'))(
    'a home under /sys',
    async () => {
      await refused('/sys/kernel/x', /\/sys\/kernel\/x\/data is under \/sys/);
    },
    timeout,
  );

  it(
    'a file instead of a directory, and a path below a file',
    async () => {
      const file = join(temporary(), 'a-file');
      writeFileSync(file, 'x');
      await refused(file, /cannot create .*a-file\/data \(ENOTDIR\)/);
      await refused(join(file, 'below'), /cannot create .*a-file\/below\/data \(ENOTDIR\)/);
    },
    timeout,
  );

  it(
    'a path with a NUL byte (from the configuration file)',
    async () => {
      const cwd = temporary();
      writeFileSync(join(cwd, 'autonoma.config.json'), JSON.stringify({ home: 'bad\u0000home' }));
      const result = await runCli(['runs', 'list'], cliEnvironment({}), { cwd });
      expect(result.signal).toBeNull();
      expect(result.code).not.toBe(0);
      oneLine(result.stderr);
      expect(result.stderr).toContain(`AUTONOMA_HOME=${join(cwd, 'bad\\0home')} is not usable`);
      expect(result.stderr).toContain('NUL byte');
    },
    timeout,
  );

  // Permissions do not bind root: as root the CLI runs as `nobody`.
  it(
    'a read-only home, and a home whose parent is not writable',
    async () => {
      const parent = temporary();
      const readOnly = join(parent, 'read-only');
      mkdirSync(join(readOnly, 'data'), { recursive: true });
      chmodSync(join(readOnly, 'data'), 0o555);
      await refused(readOnly, /read-only\/data is not writable \(EACCES\)/, { asNobody: isRoot });
      const closed = join(parent, 'closed');
      mkdirSync(closed, { mode: 0o555 });
      chmodSync(closed, 0o555);
      await refused(join(closed, 'home'), /cannot create .*closed\/home\/data \(EACCES\)/, {
        asNobody: isRoot,
      });
    },
    timeout,
  );
});

describe('a mistyped --workspace is refused before anything is stored', () => {
  it.each([
    ['a directory that does not exist', 'missing', /--workspace .*\/missing: no such directory/],
    ['a file', 'a-file', /--workspace .*\/a-file: not a directory/],
  ])(
    '%s',
    async (_name, target, message) => {
      const cwd = temporary();
      writeFileSync(join(cwd, 'a-file'), 'x');
      const env = cliEnvironment({ AUTONOMA_HOME: join(cwd, 'home') });
      const result = await runCli(['run', '--workspace', join(cwd, target), 'list the files'], env, { cwd });
      expect(result.signal).toBeNull();
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
      oneLine(result.stderr);
      expect(result.stderr).toMatch(message);
      const list = await runCli(['runs', 'list', '--json'], env, { cwd });
      expect(list.code).toBe(0);
      expect(JSON.parse(list.stdout)).toEqual([]);
    },
    timeout,
  );
});

describe('the text output of a run that did not succeed', () => {
  it(
    'keeps stdout empty and names the status on stderr',
    async () => {
      const cwd = temporary();
      // Nothing makes this fact true: the planner brain fails the run at once, offline.
      writeFileSync(
        join(cwd, 'spec.json'),
        JSON.stringify({ goal: 'make the impossible true', facts: ['no_tool_makes_this'], inputs: {} }),
      );
      const env = cliEnvironment({ AUTONOMA_HOME: join(cwd, 'home') });
      const result = await runCli(['run', '--spec', 'spec.json'], env, { cwd });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/run run_\w+: failed — no plan: unknown_fact/);
    },
    timeout,
  );
});
