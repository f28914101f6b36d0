import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { lstat, mkdir, readlink, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ToolError } from '@autonoma/core';
import type { ProtectedArea } from '../sandbox/protected-paths.ts';
import {
  isInside,
  isProtected,
  protectedArea,
  protectedPathError,
  protectedWorkspaceError,
} from '../sandbox/protected-paths.ts';

export { isInside };

/** Flags that keep an open from following a final symlink or blocking on a FIFO. */
export const safeOpenFlags = constants.O_NOFOLLOW | constants.O_NONBLOCK;

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

/** The run's workspace as the file tools see it. */
export interface WorkspaceScope {
  /** Real path of the workspace. */
  root: string;
  /** The workspace as the run names it (possibly through a symlink). */
  declared: string;
  /** Autonoma's home and this workspace, when the tools know the home. */
  area: ProtectedArea | undefined;
}

/**
 * Opens the workspace of a call: its real path and, given Autonoma's home, what in it is protected. A
 * workspace that is protected as a whole is refused.
 */
export async function openWorkspace(workspace: string, home: string | undefined): Promise<WorkspaceScope> {
  const root = await workspaceRoot(workspace);
  const area = home === undefined ? undefined : protectedArea(home, root);
  if (area && isProtected(area, root)) throw protectedWorkspaceError();
  return { root, declared: resolve(workspace), area };
}

/** Refuses a path outside the workspace, or one that is Autonoma's own. */
function confine(scope: WorkspaceScope, path: string, shown: string, why: string): void {
  if (!isInside(scope.root, path)) throw outside(shown, why);
  if (scope.area && isProtected(scope.area, path)) throw protectedPathError(shown);
}

/**
 * Where a user path points before any symlink is resolved. Relative paths start at the workspace; absolute
 * paths must lie inside it; `..` may not climb out. Nothing is decoded, so `%2e%2e` is a plain name.
 */
export function lexicalTarget(scope: WorkspaceScope, input: string): string {
  if (input.includes('\0')) throw new ToolError('invalid_path', 'path must not contain NUL bytes');
  const { root, declared } = scope;
  if (isAbsolute(input)) {
    let target = resolve(input);
    // The workspace may be named through a symlink (for example /tmp on some systems).
    if (!isInside(root, target) && isInside(declared, target))
      target = join(root, relative(declared, target));
    confine(scope, target, input, 'is outside the workspace');
    return target;
  }
  const target = resolve(root, input);
  confine(scope, target, input, 'climbs out of the workspace');
  return target;
}

/**
 * Resolves every symlink of an existing path and checks that the result is still inside the workspace,
 * and not Autonoma's own.
 */
export async function resolveExisting(scope: WorkspaceScope, target: string, shown: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(target);
  } catch (error: unknown) {
    throw fileError(error, shown);
  }
  confine(scope, real, shown, 'resolves outside the workspace through a symlink');
  return real;
}

/**
 * Checks where an open file really is, from the kernel's view (`/proc/self/fd`), which closes the race
 * between resolving a path and opening it. Skipped where `/proc` is unavailable.
 */
export async function verifyOpened(scope: WorkspaceScope, handle: FileHandle, shown: string): Promise<void> {
  let opened: string;
  try {
    opened = await readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    return;
  }
  confine(scope, opened, shown, 'was swapped for a path outside the workspace');
}

/**
 * Makes sure the parent directory of `target` exists inside the workspace: the deepest existing ancestor
 * is resolved and checked, and missing directories are created one by one below it (never through a
 * symlink, unlike `mkdir -p`, and never inside Autonoma's home). Returns the real path the target will
 * have.
 */
export async function prepareParent(scope: WorkspaceScope, target: string, shown: string): Promise<string> {
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
  let directory = await resolveExisting(scope, ancestor, shown);
  for (const name of missing) {
    directory = join(directory, name);
    // A symlinked ancestor may lead above the home, whose own directories must not be created either.
    confine(scope, directory, shown, 'is outside the workspace');
    try {
      await mkdir(directory);
    } catch (error: unknown) {
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST'))
        throw fileError(error, shown);
      directory = await resolveExisting(scope, directory, shown);
    }
  }
  const final = join(directory, target.slice(target.lastIndexOf(sep) + 1));
  confine(scope, final, shown, 'is outside the workspace');
  return final;
}
