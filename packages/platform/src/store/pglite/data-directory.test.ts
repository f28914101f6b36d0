import { existsSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataDirectoryProblem, makeDirectory } from './data-directory.ts';

const scratch = (): string => mkdtempSync(join(tmpdir(), 'autonoma-data-dir-'));

describe('makeDirectory', () => {
  it('creates missing parents and accepts an existing directory', async () => {
    const target = join(scratch(), 'a', 'b', 'c');
    await makeDirectory(target);
    await makeDirectory(target);
    expect(statSync(target).isDirectory()).toBe(true);
  });

  it('refuses a file in the way and a dangling symbolic link', async () => {
    const root = scratch();
    writeFileSync(join(root, 'file'), 'x');
    await expect(makeDirectory(join(root, 'file'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(makeDirectory(join(root, 'file', 'below'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
    await expect(makeDirectory(join(root, 'dangling', 'x'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  // procfs answers ENOENT for a new entry under a directory that exists: Node's recursive mkdir loops.
  it.skipIf(!existsSync('/proc/1'))('ends with ENOENT under /proc', async () => {
    await expect(makeDirectory('/proc/1/x/data')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('dataDirectoryProblem', () => {
  it('creates a usable directory and finds no problem', async () => {
    const target = join(scratch(), 'home', 'data');
    expect(await dataDirectoryProblem(target)).toBeUndefined();
    expect(statSync(target).isDirectory()).toBe(true);
  });

  it('names the path and the reason', async () => {
    const root = scratch();
    writeFileSync(join(root, 'file'), 'x');
    expect(await dataDirectoryProblem(join(root, 'file', 'data'))).toBe(
      `cannot create ${join(root, 'file', 'data')} (ENOTDIR)`,
    );
    expect(await dataDirectoryProblem(join(root, 'a\0b'))).toBe('the path contains a NUL byte');
  });

  it.skipIf(!existsSync('/proc/self'))('refuses /proc and /sys, also through a symbolic link', async () => {
    expect(await dataDirectoryProblem('/proc/1/x/data')).toBe(
      '/proc/1/x/data is under /proc, a kernel pseudo-filesystem',
    );
    expect(await dataDirectoryProblem('/sys/x')).toMatch(/under \/sys/);
    const root = scratch();
    symlinkSync('/proc/1', join(root, 'link'));
    expect(await dataDirectoryProblem(join(root, 'link', 'data'))).toMatch(/under \/proc/);
  });
});
