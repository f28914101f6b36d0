import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The path of a host command the deployment checks need. A missing tool fails the test loudly (never a
 * skip): `.ci/run` installs these Debian packages when it runs as root.
 */
export function requireCommand(command: string, debianPackage: string): string {
  const directories = [...(process.env['PATH'] ?? '').split(':'), '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const directory of directories) {
    if (directory === '') continue;
    const candidate = join(directory, command);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(
    `${command} is not installed: install the Debian package '${debianPackage}' (apt-get install ${debianPackage}; .ci/run does it as root)`,
  );
}

/** The outcome of a finished command. */
export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (no shell), with a time limit. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: SpawnSyncOptions = {},
): CommandResult {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000, ...options });
  if (result.error) throw result.error;
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}
