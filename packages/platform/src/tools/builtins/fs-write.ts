import { constants } from 'node:fs';
import { lstat, open, stat } from 'node:fs/promises';
import { defineTool, ToolError } from '@autonoma/core';
import { z } from 'zod';
import type { BuiltinToolOptions } from './options.ts';
import { strictInput, textField } from './schema.ts';
import type { WorkspaceScope } from './workspace-path.ts';
import {
  fileError,
  lexicalTarget,
  openWorkspace,
  prepareParent,
  resolveExisting,
  safeOpenFlags,
  verifyOpened,
} from './workspace-path.ts';

const input = strictInput({
  path: textField('path', 4096),
  content: z.string({ error: 'content must be a string' }),
});

/** Where the final path points: an existing file (through in-workspace symlinks) or a new file. */
async function finalTarget(scope: WorkspaceScope, target: string, shown: string): Promise<string> {
  const parentReady = await prepareParent(scope, target, shown);
  const stats = await lstat(parentReady).catch(() => undefined);
  if (!stats) return parentReady;
  if (stats.isSymbolicLink()) {
    const exists = await stat(parentReady).then(
      () => true,
      () => false,
    );
    // Writing through a dangling link would create its target wherever it points.
    if (!exists)
      throw new ToolError(
        'dangling_symlink',
        `'${shown}' is a symlink to nothing; it is not written through`,
      );
    return resolveExisting(scope, parentReady, shown);
  }
  if (stats.isDirectory()) throw new ToolError('is_directory', `'${shown}' is a directory`);
  if (!stats.isFile()) throw new ToolError('special_file', `'${shown}' is not a regular file`);
  return parentReady;
}

/**
 * `fs_write {path, content}`: replaces a file's content (UTF-8), creating parent directories inside the
 * workspace. Idempotent: the same content twice leaves the same file. Autonoma's own files are refused
 * (`path_protected`) before any directory is created.
 */
export function createFsWriteTool(options: BuiltinToolOptions) {
  const maxBytes = options.maxWriteBytes ?? 1_048_576;
  return defineTool({
    name: 'fs_write',
    description: `Write a UTF-8 file in the workspace (at most ${maxBytes} bytes), creating parent directories.`,
    input,
    idempotent: true,
    risk: 'medium',
    async execute({ path, content }, context): Promise<{ path: string; bytes: number }> {
      const bytes = Buffer.byteLength(content);
      if (bytes > maxBytes) {
        throw new ToolError('too_large', `content is ${bytes} bytes; fs_write accepts at most ${maxBytes}`);
      }
      const scope = await openWorkspace(context.workspace, options.home);
      const target = lexicalTarget(scope, path);
      if (target === scope.root) throw new ToolError('is_directory', `'${path}' is the workspace itself`);
      const real = await finalTarget(scope, target, path);
      // No O_TRUNC yet: the file's real location is checked before anything in it changes.
      const handle = await open(real, constants.O_WRONLY | constants.O_CREAT | safeOpenFlags, 0o644).catch(
        (error: unknown) => {
          throw fileError(error, path);
        },
      );
      try {
        await verifyOpened(scope, handle, path);
        if (!(await handle.stat()).isFile())
          throw new ToolError('special_file', `'${path}' is not a regular file`);
        await handle.truncate(0);
        await handle.write(content, 0, 'utf8');
        return { path, bytes };
      } finally {
        await handle.close();
      }
    },
  });
}
