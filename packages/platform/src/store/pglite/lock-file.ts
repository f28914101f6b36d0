/**
 * An exclusive lock on an embedded data directory. PGlite must never be opened by two processes (or
 * twice in one process): the second opener would corrupt the files. The lock is `<dir>/autonoma.lock`
 * holding the owner's identity: its pid, the boot id and the process's start time. A pid alone cannot
 * be trusted: in a container the process is PID 1 at every start, so a lock left by a killed PID 1
 * would name a live process for ever. A lock is stale, and taken over, when its pid is dead, when it
 * was written in another boot, or when its pid now belongs to a process started at another time.
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

/**
 * Who holds a lock. `bootId` and `startTime` are absent where `/proc` is not available (macOS) and in
 * lock files written before they were recorded (a bare pid): then only the pid is checked.
 */
interface LockHolder {
  pid: number;
  bootId?: string;
  /** Start time of the process in clock ticks since boot (field 22 of `/proc/<pid>/stat`). */
  startTime?: string;
}

const errorCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

const readOptional = async (path: string): Promise<string | undefined> => {
  try {
    return await readFile(path, 'utf8');
  } catch {
    // No /proc (macOS), or the process is gone or hidden: the caller falls back to the pid check.
    return undefined;
  }
};

const currentBootId = async (): Promise<string | undefined> =>
  (await readOptional('/proc/sys/kernel/random/boot_id'))?.trim() || undefined;

/**
 * Start time of `pid` from `/proc/<pid>/stat`. The second field (the command name, in parentheses)
 * may itself contain spaces and parentheses, so the fields are counted from after the last `)`: the
 * first one there is field 3, so field 22 is the 20th.
 */
const startTimeOf = async (pid: number): Promise<string | undefined> => {
  const stat = await readOptional(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const fields = stat
    .slice(stat.lastIndexOf(')') + 1)
    .trim()
    .split(/\s+/);
  const startTime = fields[22 - 3];
  return startTime !== undefined && /^\d+$/.test(startTime) ? startTime : undefined;
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return errorCode(error) === 'EPERM';
  }
};

const ownIdentity = async (): Promise<LockHolder> => {
  const [bootId, startTime] = await Promise.all([currentBootId(), startTimeOf(process.pid)]);
  return {
    pid: process.pid,
    ...(bootId ? { bootId } : {}),
    ...(startTime ? { startTime } : {}),
  };
};

const isPid = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value > 0;

/** Parses a lock file: the JSON identity, or a bare pid (older lock files). Undefined when unreadable. */
const parseHolder = (text: string): LockHolder | undefined => {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const pid = Number(trimmed);
    return isPid(pid) ? { pid } : undefined;
  }
  try {
    const value = JSON.parse(trimmed) as Record<string, unknown>;
    if (!isPid(value['pid'])) return undefined;
    const { bootId, startTime } = value;
    return {
      pid: value['pid'],
      ...(typeof bootId === 'string' ? { bootId } : {}),
      ...(typeof startTime === 'string' ? { startTime } : {}),
    };
  } catch {
    return undefined;
  }
};

const readLockText = async (path: string): Promise<string | undefined> => {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
};

/** True when `holder` still holds its lock: its process is alive, in this boot, and is the same one. */
const holds = async (holder: LockHolder, self: LockHolder): Promise<boolean> => {
  if (!isAlive(holder.pid)) return false;
  if (holder.bootId !== undefined && self.bootId !== undefined && holder.bootId !== self.bootId) {
    return false;
  }
  if (holder.startTime !== undefined) {
    // A different start time: the pid was reused (by this very process, too, after a restart as PID 1).
    const startTime = await startTimeOf(holder.pid);
    return startTime === undefined || startTime === holder.startTime;
  }
  // A bare pid (older lock file) naming this process: this process never writes one, so it was left by
  // an earlier process that had the same pid.
  return !(holder.pid === self.pid && self.startTime !== undefined);
};

const lockedError = (dir: string, path: string, pid: number): AutonomaError =>
  conflict(
    'database_locked',
    `the data directory ${dir} is in use by process ${pid} (lock file ${path}); stop that process or use another AUTONOMA_HOME`,
    { dir, pid },
  );

/**
 * Takes the lock on `dir` for this process. Throws a `database_locked` AutonomaError naming the pid
 * that holds it when another live process (or this one) already does.
 */
export async function acquireDirectoryLock(dir: string): Promise<DirectoryLock> {
  const path = join(dir, lockFileName);
  const self = await ownIdentity();
  const content = `${JSON.stringify(self)}\n`;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    try {
      await writeFile(path, content, { flag: 'wx' });
      return {
        path,
        release: async () => {
          if ((await readLockText(path).catch(() => undefined)) === content) {
            await unlink(path).catch(() => undefined);
          }
        },
      };
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
    }
    const text = await readLockText(path);
    if (text === undefined) continue;
    const holder = parseHolder(text);
    if (holder !== undefined && (await holds(holder, self))) throw lockedError(dir, path, holder.pid);
    // Stale (dead, reused or unreadable). Move it aside atomically so two processes taking over at once
    // cannot both delete a fresh lock: only one rename of this file succeeds.
    const aside = `${path}.stale-${process.pid}-${attempt}`;
    try {
      await rename(path, aside);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') continue;
      throw error;
    }
    const movedText = await readLockText(aside);
    const moved = movedText === undefined ? undefined : parseHolder(movedText);
    if (movedText !== text && moved !== undefined && (await holds(moved, self))) {
      // We moved a lock someone else took in between: put it back and report it.
      await rename(aside, path).catch(() => undefined);
      throw lockedError(dir, path, moved.pid);
    }
    await unlink(aside).catch(() => undefined);
  }
  throw new AutonomaError('database_locked', `could not take the lock ${path}`, { status: 409 });
}
