import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { defineTool, ToolError } from '@autonoma/core';
import { isProtected } from '../sandbox/protected-paths.ts';
import type { BuiltinToolOptions } from './options.ts';
import { strictInput, textField } from './schema.ts';
import { fileError, lexicalTarget, openWorkspace, resolveExisting } from './workspace-path.ts';

const input = strictInput({ path: textField('path', 4096).optional() });

/** One directory entry. Symlinks are reported as such, never followed. */
export interface FsEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
}

const maxEntries = 1000;

function typeOf(stats: Awaited<ReturnType<typeof lstat>>): FsEntry['type'] {
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  return 'other';
}

/**
 * `fs_list {path?}`: lists a directory of the workspace (the workspace itself by default). Autonoma's own
 * directories are left out of listings and cannot be listed (`path_protected`).
 */
export function createFsListTool(options: BuiltinToolOptions) {
  return defineTool({
    name: 'fs_list',
    description: `List a directory in the workspace (default: its root), with entry types and sizes (first ${maxEntries}).`,
    input,
    idempotent: true,
    risk: 'low',
    async execute(
      { path = '.' },
      context,
    ): Promise<{ path: string; entries: FsEntry[]; truncated: boolean }> {
      const scope = await openWorkspace(context.workspace, options.home);
      const real = await resolveExisting(scope, lexicalTarget(scope, path), path);
      if (!(await stat(real)).isDirectory())
        throw new ToolError('not_a_directory', `'${path}' is not a directory`);
      const { area } = scope;
      const names = (await readdir(real).catch((error: unknown) => Promise.reject(fileError(error, path))))
        .filter((name) => !(area && isProtected(area, join(real, name))))
        .sort();
      const entries: FsEntry[] = [];
      for (const name of names.slice(0, maxEntries)) {
        const stats = await lstat(join(real, name)).catch(() => undefined);
        if (stats) entries.push({ name, type: typeOf(stats), size: stats.size });
      }
      return { path, entries, truncated: names.length > maxEntries };
    },
  });
}
