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
 * path. Each of the `hidden` paths inside the workspace (Autonoma's home) is covered by an empty tmpfs, so
 * the command sees an empty directory there and nothing it does reaches the real one. All namespaces are
 * unshared, capabilities dropped, and the sandbox dies with its parent.
 */
export function bwrapArguments(workspace: string, hidden: readonly string[] = []): string[] {
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
    ...hidden.flatMap((path) => ['--tmpfs', path]),
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
 * Arguments for `bwrap` that run an MCP stdio server: the whole host read-only, fresh `/dev`, `/proc` and
 * `/tmp`, an empty tmpfs over Autonoma's home, and the run's workspace (plus the server's own `HOME`, if
 * given) read-write. The network is shared (operators configure these servers, and many need it). Mounts
 * go shallowest first, so the tmpfs over a home inside the workspace covers it, and a workspace inside the
 * home shows through the tmpfs. No new session: the caller ends the whole process group.
 */
export function serverBwrapArguments(options: {
  /** Real path of Autonoma's home; left out when it does not exist (nothing to hide, nowhere to mount). */
  home: string | undefined;
  /** Real path of the run's workspace. */
  workspace: string;
  /** Real path of a directory the server may write besides the workspace (its `HOME`). */
  serverHome?: string | undefined;
  /**
   * Real paths shown read-only again over the fresh `/tmp` (an installation under `/tmp` that holds the
   * server's program or the Node it runs on); Autonoma's home, deeper, stays covered.
   */
  readOnly?: readonly string[];
}): string[] {
  const mounts: [kind: '--tmpfs' | '--bind' | '--ro-bind', path: string][] = [['--bind', options.workspace]];
  for (const path of options.readOnly ?? []) mounts.push(['--ro-bind', path]);
  if (options.home !== undefined) mounts.push(['--tmpfs', options.home]);
  if (options.serverHome !== undefined) mounts.push(['--bind', options.serverHome]);
  const depth = (path: string) => path.split('/').filter(Boolean).length;
  mounts.sort(([, a], [, b]) => depth(a) - depth(b));
  return [
    '--unshare-all',
    '--share-net',
    '--die-with-parent',
    '--cap-drop',
    'ALL',
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--tmpfs',
    '/tmp',
    ...mounts.flatMap(([kind, path]) => (kind === '--tmpfs' ? [kind, path] : [kind, path, path])),
    '--',
  ];
}

// A host fact for the life of the process: probing costs a process start, and MCP servers are started
// per advance. Keyed by path so a test can name a bwrap that does not exist.
const probes = new Map<string, Promise<boolean>>();

/**
 * True when `bwrap` at this path can actually create a sandbox here (it may exist but be refused by the
 * kernel's user-namespace policy). Runs `true` inside a minimal sandbox, once per path and process.
 */
export function probeBwrap(bwrapPath: string): Promise<boolean> {
  let probe = probes.get(bwrapPath);
  if (!probe) {
    probe = runProbe(bwrapPath);
    probes.set(bwrapPath, probe);
  }
  return probe;
}

function runProbe(bwrapPath: string): Promise<boolean> {
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
