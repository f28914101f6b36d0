import { mkdir, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { ToolError } from '@autonoma/core';
import type { ProtectedArea } from '../sandbox/protected-paths.ts';
import {
  isProtected,
  protectedArea,
  protectedPathError,
  protectedWorkspaceError,
} from '../sandbox/protected-paths.ts';

/** True when `candidate` is `root` or lies below it (both absolute). */
export function isWithin(root: string, candidate: string): boolean {
  const rest = relative(root, candidate);
  return rest === '' || (rest !== '..' && !rest.startsWith(`..${sep}`) && !isAbsolute(rest));
}

const outside = (path: string): ToolError =>
  new ToolError('path_outside_workspace', `path '${path}' is outside the run's workspace`);

/** The real path of the deepest existing ancestor of `path` (itself when it exists). */
async function realAncestor(path: string): Promise<string> {
  let current = path;
  for (;;) {
    try {
      const real = await realpath(current);
      return current === path ? real : resolve(real, relative(current, path));
    } catch (error: unknown) {
      const code = error instanceof Error && 'code' in error ? error.code : undefined;
      const parent = dirname(current);
      if (code !== 'ENOENT' || parent === current) throw error;
      current = parent;
    }
  }
}

/** A path resolved inside the workspace, with what the protection rule needs to judge others. */
export interface WorkspaceTarget {
  /** Real path of the workspace. */
  root: string;
  /** Real path of the target (of its deepest existing ancestor, plus the rest, when it does not exist). */
  target: string;
  /** Autonoma's home and the workspace, when the home was given. */
  area: ProtectedArea | undefined;
}

/**
 * Resolves a user path inside the workspace and refuses escapes: `..`, absolute paths elsewhere,
 * and symlinks whose target lies outside (checked on the real path of the file, or of its deepest
 * existing ancestor when it does not exist yet). Given Autonoma's `home`, its files are refused too
 * (`path_protected`). A simple guard for the offline skills; the hardened one lives with the fs
 * built-ins. Without `home` (the skills' own findings), nothing is protected.
 */
export async function resolveInWorkspace(
  workspace: string,
  path: string,
  home?: string,
): Promise<WorkspaceTarget> {
  if (path.includes('\0')) throw new ToolError('invalid_path', 'path must not contain NUL bytes');
  let root: string;
  try {
    root = await realpath(workspace);
  } catch {
    throw new ToolError('workspace_missing', 'the run has no workspace directory');
  }
  const lexical = isAbsolute(path) ? resolve(path) : resolve(root, path);
  const declared = resolve(workspace);
  const inside = isWithin(root, lexical)
    ? lexical
    : isWithin(declared, lexical)
      ? resolve(root, relative(declared, lexical))
      : undefined;
  if (inside === undefined) throw outside(path);
  const area = home === undefined ? undefined : protectedArea(home, root);
  if (area && isProtected(area, root)) throw protectedWorkspaceError();
  if (area && isProtected(area, inside)) throw protectedPathError(path);
  const real = await realAncestor(inside);
  if (!isWithin(root, real)) throw outside(path);
  if (area && isProtected(area, real)) throw protectedPathError(path);
  return { root, target: real, area };
}

/** Makes sure the parent directory of a file inside the workspace exists. */
export async function ensureParent(root: string, target: string): Promise<void> {
  if (!isWithin(root, target)) throw outside(target);
  await mkdir(dirname(target), { recursive: true });
}

/** The workspace-relative form of a path, with forward slashes, for messages and reports. */
export const shownPath = (root: string, target: string): string =>
  relative(root, target).split(sep).join('/') || '.';
