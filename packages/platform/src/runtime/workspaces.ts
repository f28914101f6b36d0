/**
 * Workspaces by id. A run created through the API (or a queue) names its workspace by id; whichever
 * process advances it resolves the id under `$AUTONOMA_HOME/workspaces/<id>` on its own machine. A run
 * a local CLI starts with `--workspace DIR` keeps that absolute path.
 */
import { mkdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { userError } from '@autonoma/core';

const workspaceIdPattern = /^ws_[a-z0-9]{1,64}$/;

/** True when `reference` is a workspace id (`ws_…`), not a path. */
export const isWorkspaceId = (reference: string): boolean => workspaceIdPattern.test(reference);

/** The directory of a workspace reference on this machine, created when it is an id seen first here. */
export function resolveWorkspace(home: string, reference: string): string {
  if (isAbsolute(reference)) return reference;
  if (!isWorkspaceId(reference)) {
    throw userError('invalid_workspace', `'${reference}' is neither a workspace id nor an absolute path`);
  }
  const directory = join(home, 'workspaces', reference);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  return directory;
}
