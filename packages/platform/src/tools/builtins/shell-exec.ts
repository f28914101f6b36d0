import { constants, existsSync } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { defineTool, ToolError } from '@autonoma/core';
import { z } from 'zod';
import { bwrapArguments, probeBwrap, sandboxPath } from '../sandbox/bwrap.ts';
import {
  isProtected,
  protectedArea,
  protectedInside,
  protectedWorkspaceError,
} from '../sandbox/protected-paths.ts';
import { runProcess } from '../sandbox/run-process.ts';
import type { BuiltinToolOptions } from './options.ts';
import { isInside, workspaceRoot } from './workspace-path.ts';
import { strictInput } from './schema.ts';

const argument = z
  .string({ error: 'argv items must be strings' })
  .refine((value) => !value.includes('\0'), { error: 'argv items must not contain NUL bytes' });

const input = strictInput({
  argv: z
    .array(argument, { error: 'argv must be an array of strings' })
    .min(1, { error: 'argv must name a command' })
    .max(1000, { error: 'argv must have at most 1000 items' }),
});

/**
 * What `shell_exec` returns. `sandbox: 'none'` (only with `allowUnsandboxed`) comes with a `notice` saying
 * the command ran unconfined.
 */
export interface ShellExecOutput {
  exitCode: number | null;
  exitSignal?: string;
  stdout: string;
  stderr: string;
  truncated: boolean;
  sandbox: 'bwrap' | 'none';
  notice?: string;
}

const unsandboxedNotice =
  'bubblewrap (bwrap) is not available here: the command ran WITHOUT a sandbox, with the host file system and network';

const sandboxUnavailable = (program: string) =>
  new ToolError(
    'sandbox_unavailable',
    `bubblewrap (bwrap) is not available here, so '${program}' cannot be confined and was not run; the operator may allow unconfined commands with AUTONOMA_ALLOW_UNSANDBOXED=true`,
  );

/** Finds the program: bare names on the sandbox PATH; absolute paths as given, never inside the workspace. */
async function resolveProgram(program: string, root: string): Promise<string> {
  if (program.includes('/')) {
    if (!isAbsolute(program)) {
      throw new ToolError('command_not_allowed', 'argv[0] must be a command name or an absolute path');
    }
    const real = await realpath(program).catch(() => program);
    if (isInside(root, real)) {
      throw new ToolError('command_not_allowed', 'programs inside the workspace cannot be run by shell_exec');
    }
    return program;
  }
  for (const directory of sandboxPath.split(':')) {
    const candidate = join(directory, program);
    const found = await access(candidate, constants.X_OK)
      .then(() => stat(candidate))
      .then((stats) => stats.isFile())
      .catch(() => false);
    if (found) return candidate;
  }
  throw new ToolError('command_not_found', `'${program}' was not found on ${sandboxPath}`);
}

/**
 * `shell_exec {argv}`: runs a program with literal arguments (no shell), if its name is in the agent's
 * `shellAllow`. Inside bubblewrap (no network, read-only system, the workspace read-write, Autonoma's
 * home inside it covered by an empty tmpfs); without a working bubblewrap the call fails with
 * `sandbox_unavailable` unless `allowUnsandboxed`. With a time limit that kills the process group, an
 * output cap per stream, and an address-space cap through `prlimit --as`.
 */
export function createShellExecTool(options: BuiltinToolOptions) {
  const shell = options.shell ?? {};
  const bwrapPath = shell.bwrapPath === undefined ? '/usr/bin/bwrap' : shell.bwrapPath;
  const prlimitPath = shell.prlimitPath === undefined ? '/usr/bin/prlimit' : shell.prlimitPath;
  const timeoutMs = shell.timeoutMs ?? 30_000;
  const memoryBytes = shell.memoryBytes ?? 1024 * 1024 * 1024;
  return defineTool({
    name: 'shell_exec',
    description:
      'Run an allowed program with literal arguments (argv, no shell) in the workspace, sandboxed where possible.',
    input,
    idempotent: false,
    risk: 'high',
    timeoutMs: timeoutMs + 5000,
    async execute({ argv }, context): Promise<ShellExecOutput> {
      const [program = '', ...args] = argv;
      const allowed = context.shellAllow.map((entry) => basename(entry));
      if (!allowed.includes(basename(program))) {
        throw new ToolError(
          'command_not_allowed',
          `'${basename(program)}' is not in this agent's shell allowlist`,
        );
      }
      const sandboxed = bwrapPath !== null && (await probeBwrap(bwrapPath));
      if (!sandboxed && shell.allowUnsandboxed !== true) throw sandboxUnavailable(basename(program));
      const root = await workspaceRoot(context.workspace);
      const area = options.home === undefined ? undefined : protectedArea(options.home, root);
      if (area && isProtected(area, root)) throw protectedWorkspaceError();
      const resolved = await resolveProgram(program, root);
      const limited = prlimitPath !== null && existsSync(prlimitPath);
      const command = [...(limited ? [prlimitPath, `--as=${memoryBytes}`, '--'] : []), resolved, ...args];
      // The home is hidden only when it exists: bubblewrap would otherwise create it as a mount point.
      const hidden = area ? protectedInside(area).filter((path) => existsSync(path)) : [];
      const [executable = resolved, ...rest] = sandboxed
        ? [bwrapPath, ...bwrapArguments(root, hidden), ...command]
        : command;
      const outcome = await runProcess(executable, rest, {
        cwd: root,
        env: { PATH: sandboxPath, HOME: root, LANG: 'C.UTF-8' },
        timeoutMs,
        maxOutputBytes: shell.maxOutputBytes ?? 256 * 1024,
        signal: context.signal,
      }).catch((error: unknown) => {
        const code = error instanceof Error && 'code' in error ? String(error.code) : 'unknown';
        throw new ToolError('spawn_failed', `could not start '${basename(program)}' (${code})`);
      });
      if (outcome.killed === 'timeout') {
        throw new ToolError('timeout', `'${basename(program)}' was killed after ${timeoutMs} ms`);
      }
      if (outcome.killed === 'cancelled')
        throw new ToolError('cancelled', `'${basename(program)}' was cancelled`);
      return {
        exitCode: outcome.exitCode,
        ...(outcome.exitSignal ? { exitSignal: outcome.exitSignal } : {}),
        stdout: outcome.stdout,
        stderr: outcome.stderr,
        truncated: outcome.truncated,
        sandbox: sandboxed ? 'bwrap' : 'none',
        ...(sandboxed ? {} : { notice: unsandboxedNotice }),
      };
    },
  });
}
