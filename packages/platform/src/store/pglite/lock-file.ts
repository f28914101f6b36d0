/**
 * An exclusive lock on an embedded data directory. PGlite must never be opened by two processes (or
 * twice in one process): the second opener would corrupt the files. The lock is `<dir>/autonoma.lock`
 * holding the owner's pid; a lock whose pid is no longer alive is stale and taken over.
 */
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AutonomaError, conflict } from '@autonoma/core';

/** Name of the lock file inside the data directory. */
export const lockFileName = 'autonoma.lock';

/** A held lock. */
export interface DirectoryLock {
  readonly path: string;
  /** Removes the lock file if it is still ours. */
  release(): Promise<void>;
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const readPid = async (path: string): Promise<number | undefined> => {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
};

/**
 * Takes the lock on `dir` for this process. Throws a `database_locked` AutonomaError naming the pid
 * that holds it when another live process (or this one) already does.
 */
export async function acquireDirectoryLock(dir: string): Promise<DirectoryLock> {
  const path = join(dir, lockFileName);
  for (let attempt = 0; attempt < 5; attempt += 1) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
      return {
        path,
        release: async () => {
          if ((await readPid(path)) === process.pid) await unlink(path).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readPid(path);
    if (holder !== undefined && isAlive(holder)) {
      throw conflict(
        'database_locked',
        `the data directory ${dir} is in use by process ${holder} (lock file ${path}); stop that process or use another AUTONOMA_HOME`,
        { dir, pid: holder },
      );
    }
    // Stale (dead pid or unreadable content). Move it aside atomically so two processes taking over
    // at once cannot both delete a fresh lock: only one rename of this file succeeds.
    const aside = `${path}.stale-${process.pid}-${attempt}`;
    try {
      await rename(path, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    const moved = await readPid(aside);
    if (moved !== holder && moved !== undefined && isAlive(moved)) {
      // We moved a lock someone else took in between: put it back and report it.
      await rename(aside, path).catch(() => undefined);
      throw conflict('database_locked', `the data directory ${dir} is in use by process ${moved}`, {
        dir,
        pid: moved,
      });
    }
    await unlink(aside).catch(() => undefined);
  }
  throw new AutonomaError('database_locked', `could not take the lock ${path}`, { status: 409 });
}
