import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { lstat, mkdir, readlink, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ToolError } from '@autonoma/core';

/** Flags that keep an open from following a final symlink or blocking on a FIFO. */
export const safeOpenFlags = constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** True when `candidate` is `root` or below it (both absolute and normalized). */
export function isInside(root: string, candidate: string): boolean {
  const rest = relative(root, candidate);
  return rest === '' || (rest !== '..' && !rest.startsWith(`..${sep}`) && !isAbsolute(rest));
}

const outside = (shown: string, why: string) =>
  new ToolError('path_outside_workspace', `path '${shown}' ${why}; tools may only touch the run's workspace`);

/** Maps a file-system errno to a tool error the brain can act on. */
export function fileError(error: unknown, shown: string): ToolError {
  const code = error instanceof Error && 'code' in error ? String(error.code) : '';
  const known: Record<string, [string, string]> = {
    ENOENT: ['not_found', `'${shown}' does not exist`],
    ENOTDIR: ['not_a_directory', `a parent of '${shown}' is not a directory`],
    EISDIR: ['is_directory', `'${shown}' is a directory`],
    ELOOP: ['path_outside_workspace', `'${shown}' is a symlink, which is not followed here`],
    ENXIO: ['special_file', `'${shown}' is not a regular file`],
    EACCES: ['permission_denied', `permission denied for '${shown}'`],
    EPERM: ['permission_denied', `permission denied for '${shown}'`],
  };
  const [toolCode, message] = known[code] ?? [
    'file_error',
    `could not access '${shown}' (${code || 'unknown'})`,
  ];
  return error instanceof ToolError ? error : new ToolError(toolCode, message);
}

/** The real path of the workspace; it must exist. */
export async function workspaceRoot(workspace: string): Promise<string> {
  try {
    return await realpath(workspace);
  } catch {
    throw new ToolError('workspace_missing', 'the run has no workspace directory');
  }
}

/**
 * Where a user path points before any symlink is resolved. Relative paths start at the workspace; absolute
 * paths must lie inside it; `..` may not climb out. Nothing is decoded, so `%2e%2e` is a plain name.
 */
export function lexicalTarget(root: string, workspace: string, input: string): string {
  if (input.includes('\0')) throw new ToolError('invalid_path', 'path must not contain NUL bytes');
  const declared = resolve(workspace);
  if (isAbsolute(input)) {
    const target = resolve(input);
    if (isInside(root, target)) return target;
    // The workspace may be named through a symlink (for example /tmp on some systems).
    if (isInside(declared, target)) return join(root, relative(declared, target));
    throw outside(input, 'is outside the workspace');
  }
  const target = resolve(root, input);
  if (!isInside(root, target)) throw outside(input, 'climbs out of the workspace');
  return target;
}

/** Resolves every symlink of an existing path and checks that the result is still inside the workspace. */
export async function resolveExisting(root: string, target: string, shown: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(target);
  } catch (error: unknown) {
    throw fileError(error, shown);
  }
  if (!isInside(root, real)) throw outside(shown, 'resolves outside the workspace through a symlink');
  return real;
}

/**
 * Checks where an open file really is, from the kernel's view (`/proc/self/fd`), which closes the race
 * between resolving a path and opening it. Skipped where `/proc` is unavailable.
 */
export async function verifyOpened(root: string, handle: FileHandle, shown: string): Promise<void> {
  let opened: string;
  try {
    opened = await readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    return;
  }
  if (!isInside(root, opened)) throw outside(shown, 'was swapped for a path outside the workspace');
}

/**
 * Makes sure the parent directory of `target` exists inside the workspace: the deepest existing ancestor
 * is resolved and checked, and missing directories are created one by one below it (never through a
 * symlink, unlike `mkdir -p`). Returns the real path the target will have.
 */
export async function prepareParent(root: string, target: string, shown: string): Promise<string> {
  const missing: string[] = [];
  let ancestor = resolve(target, '..');
  for (;;) {
    try {
      await lstat(ancestor);
      break;
    } catch (error: unknown) {
      if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT'))
        throw fileError(error, shown);
      missing.unshift(ancestor.slice(ancestor.lastIndexOf(sep) + 1));
      ancestor = resolve(ancestor, '..');
    }
  }
  let directory = await resolveExisting(root, ancestor, shown);
  for (const name of missing) {
    directory = join(directory, name);
    try {
      await mkdir(directory);
    } catch (error: unknown) {
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST'))
        throw fileError(error, shown);
      directory = await resolveExisting(root, directory, shown);
    }
  }
  return join(directory, target.slice(target.lastIndexOf(sep) + 1));
}
