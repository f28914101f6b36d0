import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ToolError, userError } from '@autonoma/core';

/** True when `candidate` is `root` or below it (both absolute and normalized). */
export function isInside(root: string, candidate: string): boolean {
  const rest = relative(root, candidate);
  return rest === '' || (rest !== '..' && !rest.startsWith(`..${sep}`) && !isAbsolute(rest));
}

/**
 * The real path of `path`: every symlink resolved. A path that does not exist yet resolves through its
 * deepest existing ancestor, with the missing rest appended as written.
 */
export function realPathOf(path: string): string {
  const absolute = resolve(path);
  let current = absolute;
  for (;;) {
    try {
      const real = realpathSync.native(current);
      return current === absolute ? real : join(real, relative(current, absolute));
    } catch {
      const parent = dirname(current);
      if (parent === current) return absolute;
      current = parent;
    }
  }
}

/** Autonoma's home and one run's workspace, both as real paths: the inputs of the protection rule. */
export interface ProtectedArea {
  readonly home: string;
  readonly workspace: string;
}

/** Resolves the home and the workspace to real paths (either may not exist yet). */
export function protectedArea(home: string, workspace: string): ProtectedArea {
  return { home: realPathOf(home), workspace: realPathOf(workspace) };
}

/** The store's directory under the home (see `createApp`): never lent to a run as a workspace. */
const dataDirectory = 'data';

/**
 * The protection rule, the one place it is written. A path is Autonoma's own, out of reach of every
 * tool, when it lies inside the home — except inside a workspace the home lends to a run (a directory
 * strictly inside the home, outside its data directory, such as `$AUTONOMA_HOME/workspaces/<id>`).
 * All paths are real paths.
 */
export function isProtected(area: ProtectedArea, path: string): boolean {
  if (!isInside(area.home, path)) return false;
  const lent =
    area.workspace !== area.home &&
    isInside(area.home, area.workspace) &&
    !isInside(join(area.home, dataDirectory), area.workspace);
  return !(lent && isInside(area.workspace, path));
}

/**
 * The protected paths a sandbox that shows the workspace must cover with an empty directory: the home,
 * when it lies inside the workspace (the default layout, `./.autonoma` in the current directory).
 */
export function protectedInside(area: ProtectedArea): string[] {
  return area.home !== area.workspace && isInside(area.workspace, area.home) ? [area.home] : [];
}

/** The error of a tool asked to touch a protected path. */
export const protectedPathError = (shown: string): ToolError =>
  new ToolError('path_protected', `'${shown}' is Autonoma's own data (AUTONOMA_HOME); tools cannot touch it`);

/** The error of a tool whose whole workspace is protected (a run stored before {@link checkWorkspace}). */
export const protectedWorkspaceError = (): ToolError =>
  new ToolError(
    'path_protected',
    "the run's workspace is Autonoma's own data (AUTONOMA_HOME); tools cannot work in it",
  );

/**
 * Refuses a workspace in which every path would be protected: the home itself, or a directory inside
 * the home's data directory. Throws `invalid_workspace` with a one-line message; call it before a run
 * is stored.
 */
export function checkWorkspace(home: string, workspace: string): void {
  const area = protectedArea(home, workspace);
  if (area.workspace === area.home) {
    throw userError(
      'invalid_workspace',
      `the workspace ${workspace} is Autonoma's home (AUTONOMA_HOME), which tools may not touch; choose another directory`,
      { workspace },
    );
  }
  if (isProtected(area, area.workspace)) {
    throw userError(
      'invalid_workspace',
      `the workspace ${workspace} lies inside Autonoma's data directory (AUTONOMA_HOME/${dataDirectory}), which tools may not touch; choose another directory`,
      { workspace },
    );
  }
}
