import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireDirectoryLock, createDatabase, lockFileName } from '../../src/store/index.ts';

const directories: string[] = [];
const scratchDirectory = async (): Promise<string> => {
  const directory = await mkdtemp(join(tmpdir(), 'autonoma-lock-'));
  directories.push(directory);
  return directory;
};
afterAll(async () => {
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});

/** The pid of a process that has exited. */
const deadPid = (): number => {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
};

/** The identity the lock records, read here from /proc independently of the code under test. */
const hasProc = existsSync('/proc/self/stat');
const bootId = (): string => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
const startTime = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
};
const identity = (pid: number): { pid: number; bootId: string; startTime: string } => ({
  pid,
  bootId: bootId(),
  startTime: startTime(pid),
});
const sleepBinary = (): string =>
  ['/usr/bin/sleep', '/bin/sleep'].find((path) => existsSync(path)) ?? 'sleep';
const lockedPid = async (directory: string): Promise<number> =>
  (JSON.parse(await readFile(join(directory, lockFileName), 'utf8')) as { pid: number }).pid;

describe('data directory lock', () => {
  it('writes our pid, refuses a second holder naming the pid, and releases', async () => {
    const directory = await scratchDirectory();
    const lock = await acquireDirectoryLock(directory);
    expect(await lockedPid(directory)).toBe(process.pid);
    await expect(acquireDirectoryLock(directory)).rejects.toMatchObject({
      code: 'database_locked',
      message: expect.stringContaining(`process ${process.pid}`),
    });
    await lock.release();
    const again = await acquireDirectoryLock(directory);
    await again.release();
  });

  it('takes over a stale lock whose process is dead', async () => {
    const directory = await scratchDirectory();
    await writeFile(join(directory, lockFileName), `${deadPid()}\n`);
    const lock = await acquireDirectoryLock(directory);
    expect(await lockedPid(directory)).toBe(process.pid);
    await lock.release();
  });

  describe.skipIf(!hasProc)('with /proc: pid, boot id and start time', () => {
    it('records the boot id and our start time', async () => {
      const directory = await scratchDirectory();
      const lock = await acquireDirectoryLock(directory);
      expect(JSON.parse(await readFile(join(directory, lockFileName), 'utf8'))).toEqual(
        identity(process.pid),
      );
      await lock.release();
    });

    it('takes over a lock left by pid 1 started at another time (a container restarted after a kill)', async () => {
      const directory = await scratchDirectory();
      const previous = { ...identity(1), startTime: String(Number(startTime(1)) + 1) };
      await writeFile(join(directory, lockFileName), JSON.stringify(previous));
      const lock = await acquireDirectoryLock(directory);
      expect(await lockedPid(directory)).toBe(process.pid);
      await lock.release();
    });

    it('takes over a lock naming our own pid with another start time (our pid, reused)', async () => {
      const directory = await scratchDirectory();
      const previous = { ...identity(process.pid), startTime: String(Number(startTime(process.pid)) - 1) };
      await writeFile(join(directory, lockFileName), JSON.stringify(previous));
      const lock = await acquireDirectoryLock(directory);
      expect(await lockedPid(directory)).toBe(process.pid);
      await lock.release();
    });

    it('takes over a bare-pid lock naming our own pid: this process never writes one', async () => {
      const directory = await scratchDirectory();
      await writeFile(join(directory, lockFileName), `${process.pid}\n`);
      const lock = await acquireDirectoryLock(directory);
      expect(JSON.parse(await readFile(join(directory, lockFileName), 'utf8'))).toEqual(
        identity(process.pid),
      );
      await lock.release();
    });

    it('takes over a lock written in another boot, even though its pid is alive', async () => {
      const directory = await scratchDirectory();
      const previous = { ...identity(process.ppid), bootId: '00000000-0000-0000-0000-000000000000' };
      await writeFile(join(directory, lockFileName), JSON.stringify(previous));
      const lock = await acquireDirectoryLock(directory);
      expect(await lockedPid(directory)).toBe(process.pid);
      await lock.release();
    });

    it('refuses a lock held by a live child process, naming its pid', async () => {
      const directory = await scratchDirectory();
      const child = spawn('sleep', ['60'], { stdio: 'ignore' });
      try {
        const pid = child.pid ?? 0;
        await writeFile(join(directory, lockFileName), JSON.stringify(identity(pid)));
        await expect(acquireDirectoryLock(directory)).rejects.toMatchObject({
          code: 'database_locked',
          message: expect.stringContaining(`in use by process ${pid}`),
        });
        expect(await lockedPid(directory)).toBe(pid);
      } finally {
        child.kill();
      }
    });

    it('reads a command name with spaces and parentheses in /proc/<pid>/stat', async () => {
      const directory = await scratchDirectory();
      // The command name is the executable's file name: `(x) y (z)` in the stat line.
      const oddName = join(directory, 'x) y (z');
      await symlink(sleepBinary(), oddName);
      const child = spawn(oddName, ['60'], { stdio: 'ignore' });
      try {
        const pid = child.pid ?? 0;
        expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toContain('(x) y (z)');
        await writeFile(join(directory, lockFileName), JSON.stringify(identity(pid)));
        await expect(acquireDirectoryLock(directory)).rejects.toThrow(`in use by process ${pid}`);
        const reused = { ...identity(pid), startTime: String(Number(startTime(pid)) + 1) };
        await writeFile(join(directory, lockFileName), JSON.stringify(reused));
        const lock = await acquireDirectoryLock(directory);
        await lock.release();
      } finally {
        child.kill();
      }
    });
  });

  it('refuses a lock held by another live process', async () => {
    const directory = await scratchDirectory();
    await writeFile(join(directory, lockFileName), `${process.ppid}\n`);
    await expect(acquireDirectoryLock(directory)).rejects.toThrow(`in use by process ${process.ppid}`);
  });

  it('keeps a second PGlite from opening the same data directory, and persists data across reopen', async () => {
    const directory = await scratchDirectory();
    const first = await createDatabase({ kind: 'pglite', dir: directory });
    try {
      await first.stores.settings.set('greeting', 'hello');
      await expect(createDatabase({ kind: 'pglite', dir: directory })).rejects.toMatchObject({
        code: 'database_locked',
        message: expect.stringContaining(String(process.pid)),
      });
    } finally {
      await first.close();
    }
    const reopened = await createDatabase({ kind: 'pglite', dir: directory });
    try {
      expect(await reopened.stores.settings.get('greeting')).toBe('hello');
      expect((await reopened.migrationState()).pending).toEqual([]);
    } finally {
      await reopened.close();
    }
  });
});
