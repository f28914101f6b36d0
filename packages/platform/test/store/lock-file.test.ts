import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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

describe('data directory lock', () => {
  it('writes our pid, refuses a second holder naming the pid, and releases', async () => {
    const directory = await scratchDirectory();
    const lock = await acquireDirectoryLock(directory);
    expect((await readFile(join(directory, lockFileName), 'utf8')).trim()).toBe(String(process.pid));
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
    expect((await readFile(join(directory, lockFileName), 'utf8')).trim()).toBe(String(process.pid));
    await lock.release();
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
