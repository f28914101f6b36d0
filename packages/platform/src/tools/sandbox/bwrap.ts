import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync } from 'node:fs';

/** Directories a sandboxed command may see read-only, besides `/usr`. Symlinks are recreated as symlinks. */
const systemDirectories = ['/bin', '/sbin', '/lib', '/lib64', '/lib32', '/libx32'];

/** The few `/etc` entries programs need to start (dynamic linker, names of users, time zone). */
const etcEntries = [
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/alternatives',
  '/etc/localtime',
  '/etc/passwd',
  '/etc/group',
  '/etc/nsswitch.conf',
];

/** The `PATH` inside the sandbox, also used to find bare command names. */
export const sandboxPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function systemBinds(): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const directory of systemDirectories) {
    if (!existsSync(directory)) continue;
    if (lstatSync(directory).isSymbolicLink()) args.push('--symlink', readlinkSync(directory), directory);
    else args.push('--ro-bind', directory, directory);
  }
  return args;
}

/**
 * Arguments for `bwrap` that run a command with no network and no view of the host beyond read-only system
 * directories, a minimal `/etc`, fresh `/tmp`, `/proc` and `/dev`, and the workspace read-write at its own
 * path. All namespaces are unshared, capabilities dropped, and the sandbox dies with its parent.
 */
export function bwrapArguments(workspace: string): string[] {
  const etc = etcEntries.flatMap((entry) => ['--ro-bind-try', entry, entry]);
  return [
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    ...systemBinds(),
    ...etc,
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--tmpfs',
    '/tmp',
    '--bind',
    workspace,
    workspace,
    '--chdir',
    workspace,
    '--clearenv',
    '--setenv',
    'PATH',
    sandboxPath,
    '--setenv',
    'HOME',
    workspace,
    '--setenv',
    'TMPDIR',
    '/tmp',
    '--setenv',
    'LANG',
    'C.UTF-8',
    '--',
  ];
}

/**
 * True when `bwrap` at this path can actually create a sandbox here (it may exist but be refused by the
 * kernel's user-namespace policy). Runs `true` inside a minimal sandbox.
 */
export function probeBwrap(bwrapPath: string): Promise<boolean> {
  if (!existsSync(bwrapPath)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const child = spawn(
      bwrapPath,
      ['--unshare-all', '--die-with-parent', ...systemBinds(), '--', '/usr/bin/true'],
      {
        stdio: 'ignore',
      },
    );
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}
