import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { defineTool, ToolError } from '@autonoma/core';
import type { BuiltinToolOptions } from './options.ts';
import { strictInput, textField } from './schema.ts';
import {
  fileError,
  lexicalTarget,
  openWorkspace,
  resolveExisting,
  safeOpenFlags,
  verifyOpened,
} from './workspace-path.ts';

const input = strictInput({ path: textField('path', 4096) });

/** What `fs_read` returns. Text is UTF-8; anything else comes back as base64. */
export interface FsReadOutput {
  path: string;
  content: string;
  encoding: 'utf8' | 'base64';
  /** Size of the file on disk, in bytes. */
  size: number;
  /** True when only the first `maxReadBytes` bytes were returned. */
  truncated: boolean;
}

function decode(bytes: Buffer): { content: string; encoding: 'utf8' | 'base64' } {
  try {
    if (bytes.includes(0)) throw new Error('binary');
    return { content: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf8' };
  } catch {
    return { content: bytes.toString('base64'), encoding: 'base64' };
  }
}

/**
 * `fs_read {path}`: reads a regular file inside the workspace, never through a symlink that leaves it,
 * and never one of Autonoma's own (`path_protected`).
 */
export function createFsReadTool(options: BuiltinToolOptions) {
  const maxBytes = options.maxReadBytes ?? 1_048_576;
  return defineTool({
    name: 'fs_read',
    description: `Read a file in the workspace (first ${maxBytes} bytes). Paths are relative to the workspace.`,
    input,
    idempotent: true,
    risk: 'low',
    async execute({ path }, context): Promise<FsReadOutput> {
      const scope = await openWorkspace(context.workspace, options.home);
      const real = await resolveExisting(scope, lexicalTarget(scope, path), path);
      const handle = await open(real, constants.O_RDONLY | safeOpenFlags).catch((error: unknown) => {
        throw fileError(error, path);
      });
      try {
        await verifyOpened(scope, handle, path);
        const stats = await handle.stat();
        if (stats.isDirectory()) throw new ToolError('is_directory', `'${path}' is a directory; use fs_list`);
        if (!stats.isFile()) throw new ToolError('special_file', `'${path}' is not a regular file`);
        const length = Math.min(stats.size, maxBytes);
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, 0);
        return {
          path,
          ...decode(buffer.subarray(0, bytesRead)),
          size: stats.size,
          truncated: stats.size > maxBytes,
        };
      } finally {
        await handle.close();
      }
    },
  });
}
