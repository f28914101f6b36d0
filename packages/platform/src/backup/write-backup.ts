/** Writing a backup file: owner-only (a store holds credentials), complete or not at all. */
import { link, open, rename, rm } from 'node:fs/promises';
import { userError } from '@autonoma/core';

const errorCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

/**
 * Writes `bytes` to `file` with mode 0600: first under a temporary name beside it (synced), then put in
 * place — by `link` without `overwrite` (so an existing file is never replaced: `backup_exists`), by
 * rename with it. A reader never sees half a backup under the final name.
 */
export async function writeBackupFile(
  file: string,
  bytes: Uint8Array,
  options: { overwrite: boolean },
): Promise<void> {
  const temporary = `${file}.${process.pid}.partial`;
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (options.overwrite) {
      await rename(temporary, file);
      return;
    }
    try {
      await link(temporary, file);
    } catch (error) {
      if (errorCode(error) === 'EEXIST')
        throw userError('backup_exists', `${file} already exists; choose another name or pass --force`);
      throw error;
    }
  } finally {
    await rm(temporary, { force: true });
  }
}
