import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { serverBwrapArguments, probeBwrap } from '../sandbox/bwrap.ts';
import { isInside, isProtected, protectedArea, realPathOf } from '../sandbox/protected-paths.ts';

/** Where the stdio servers of one run may write, and what they may not see. */
export interface StdioSandboxOptions {
  /** Autonoma's home (`AUTONOMA_HOME`), absolute: covered by an empty tmpfs. */
  home: string;
  /** The run's workspace: the one host directory servers may write (besides their own `HOME`). */
  workspace: string;
  /**
   * Start servers without a sandbox when bubblewrap is unavailable (`AUTONOMA_ALLOW_UNSANDBOXED`); they
   * then see the whole host, Autonoma's home included. @default false
   */
  allowUnsandboxed?: boolean;
  /** @default '/usr/bin/bwrap' */
  bwrapPath?: string;
}

/** How stdio servers start: in bubblewrap, unconfined (allowed by the operator), or not at all. */
export type StdioSandbox =
  | { kind: 'bwrap'; bwrapPath: string; home: string; workspace: string }
  | { kind: 'none' }
  | { kind: 'unavailable'; reason: string };

// The reason a stdio server is refused when bubblewrap does not work here.
const noSandboxReason =
  'bubblewrap (bwrap) is not available here, so the server cannot be confined; the operator may allow unconfined servers with AUTONOMA_ALLOW_UNSANDBOXED=true';

/** Decides how this run's stdio servers start; probes bubblewrap once per process. */
export async function chooseStdioSandbox(options: StdioSandboxOptions): Promise<StdioSandbox> {
  const bwrapPath = options.bwrapPath ?? '/usr/bin/bwrap';
  if (await probeBwrap(bwrapPath)) {
    return { kind: 'bwrap', bwrapPath, home: options.home, workspace: options.workspace };
  }
  return options.allowUnsandboxed === true
    ? { kind: 'none' }
    : { kind: 'unavailable', reason: noSandboxReason };
}

/**
 * Finds a command the way `spawn` would (a path as given, a bare name on the server's `PATH`), so a
 * missing one fails as it does unconfined instead of as an exit of bubblewrap.
 */
function findCommand(command: string, path: string): string {
  const executable = (candidate: string): boolean => {
    try {
      accessSync(candidate, constants.X_OK);
      return statSync(candidate).isFile();
    } catch {
      return false;
    }
  };
  const found = command.includes('/')
    ? [resolve(command)].find(executable)
    : path
        .split(delimiter)
        .filter((directory) => isAbsolute(directory))
        .map((directory) => join(directory, command))
        .find(executable);
  if (found === undefined) {
    throw Object.assign(new Error(`spawn ${command} ENOENT`), { code: 'ENOENT' });
  }
  return found;
}

/**
 * The process that runs a stdio server: the command itself, or bubblewrap around it. The server's
 * configured `HOME`, when it exists outside Autonoma's home, stays writable (for `npx` caches). Throws
 * when the sandbox is unavailable, with the one-line reason.
 */
export function sandboxedCommand(
  sandbox: StdioSandbox,
  server: { command: string; args: readonly string[]; env: Readonly<Record<string, string>> },
): { command: string; args: string[] } {
  if (sandbox.kind === 'none') return { command: server.command, args: [...server.args] };
  if (sandbox.kind === 'unavailable') throw new Error(sandbox.reason);
  const area = protectedArea(sandbox.home, sandbox.workspace);
  if (!existsSync(area.workspace)) throw new Error(`the run's workspace ${sandbox.workspace} does not exist`);
  if (isProtected(area, area.workspace)) {
    throw new Error("the run's workspace is Autonoma's own data (AUTONOMA_HOME); servers cannot work in it");
  }
  const configuredHome = server.env['HOME'];
  const serverHome =
    configuredHome !== undefined && isAbsolute(configuredHome) && existsSync(configuredHome)
      ? realPathOf(configuredHome)
      : undefined;
  const command = findCommand(server.command, server.env['PATH'] ?? '');
  // The sandbox's `/tmp` is fresh: an installation under the host's `/tmp` (the server's program, or the
  // Node it runs on, with its node_modules) is shown again, read-only — never a part of the home.
  const readOnly = [
    ...new Set([installationOf(realPathOf(process.execPath)), installationOf(realPathOf(command))]),
  ].filter((path) => isInside('/tmp', path) && path !== '/tmp' && !isInside(area.home, path));
  const args = serverBwrapArguments({
    home: existsSync(area.home) ? area.home : undefined,
    workspace: area.workspace,
    serverHome: serverHome !== undefined && !isInside(area.home, serverHome) ? serverHome : undefined,
    readOnly,
  });
  return { command: sandbox.bwrapPath, args: [...args, command, ...server.args] };
}

/** The installation a program belongs to: the directory holding its `node_modules`, else its own directory. */
function installationOf(path: string): string {
  const index = path.indexOf('/node_modules/');
  return index > 0 ? path.slice(0, index) : dirname(path);
}
