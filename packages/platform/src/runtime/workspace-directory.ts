/**
 * The check a run's workspace passes before the run is stored: a run in a directory that does not exist
 * would fail every file tool and still end `succeeded`, so a mistyped path is refused up front.
 */
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { userError } from '@autonoma/core';
import { checkWorkspace, isInside } from '../tools/sandbox/protected-paths.ts';

/** Options of {@link checkWorkspaceDirectory}. */
export interface WorkspaceCheck {
  /** How the path is named in the error, e.g. `--workspace`. @default 'workspace' */
  label?: string;
  /** Also require that this process can read and write it. @default false */
  readWrite?: boolean;
  /** Autonoma's home: a workspace that is the home, or inside its data directory, is refused. */
  home?: string;
}

/** Kernel pseudo-filesystems: directories there are no place for a run's files. */
const pseudoFilesystems = ['/proc', '/sys'];

const errorCode = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? 'error';

/**
 * Throws `invalid_workspace` with a one-line message (`--workspace /x: no such directory`) unless
 * `path` is an existing directory (symbolic links followed) outside `/proc` and `/sys`, not Autonoma's
 * own data (when `home` is given) and, with `readWrite`, one this process can read and write.
 */
export async function checkWorkspaceDirectory(path: string, options: WorkspaceCheck = {}): Promise<void> {
  const label = options.label ?? 'workspace';
  const refuse = (why: string): Error => userError('invalid_workspace', `${label} ${path}: ${why}`);
  let real: string;
  try {
    real = await realpath(path);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') throw refuse('no such directory');
    if (code === 'ENOTDIR') throw refuse('not a directory');
    throw refuse(`cannot be resolved (${code})`);
  }
  if (!(await stat(real)).isDirectory()) throw refuse('not a directory');
  const pseudo = pseudoFilesystems.find((root) => isInside(root, real));
  if (pseudo !== undefined) throw refuse(`is under ${pseudo}, a kernel pseudo-filesystem`);
  if (options.home !== undefined) checkWorkspace(options.home, real);
  if (options.readWrite !== true) return;
  try {
    await access(real, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (error) {
    throw refuse(`not readable and writable (${errorCode(error)})`);
  }
}
