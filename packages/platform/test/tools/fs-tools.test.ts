import { execFileSync } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { builtin, callTool, makeContext, temporaryDirectory, toolFailure } from './tool-harness.ts';

let workspace: { path: string; remove: () => Promise<void> };
let outside: { path: string; remove: () => Promise<void> };

beforeEach(async () => {
  workspace = await temporaryDirectory('autonoma-ws-');
  outside = await temporaryDirectory('autonoma-outside-');
  await writeFile(join(outside.path, 'secret.txt'), 'top secret');
});

afterEach(async () => {
  await workspace.remove();
  await outside.remove();
});

const read = (path: string) => callTool(builtin('fs_read'), { path }, makeContext(workspace.path));
const readFailure = (path: string) => toolFailure(builtin('fs_read'), { path }, makeContext(workspace.path));
const writeFailure = (path: string, content = 'x') =>
  toolFailure(builtin('fs_write'), { path, content }, makeContext(workspace.path));

describe('fs_read', () => {
  it('reads a file inside the workspace', async () => {
    await writeFile(join(workspace.path, 'a.txt'), 'hello');
    expect(await read('a.txt')).toMatchObject({
      content: 'hello',
      encoding: 'utf8',
      size: 5,
      truncated: false,
    });
  });

  it.each(['../secret.txt', 'a/../../secret.txt', './../x', '..'])('refuses the escape %s', async (path) => {
    expect((await readFailure(path)).code).toBe('path_outside_workspace');
  });

  it('refuses absolute paths outside the workspace, and /etc/passwd', async () => {
    expect((await readFailure(join(outside.path, 'secret.txt'))).code).toBe('path_outside_workspace');
    expect((await readFailure('/etc/passwd')).code).toBe('path_outside_workspace');
  });

  it('accepts an absolute path inside the workspace', async () => {
    await writeFile(join(workspace.path, 'b.txt'), 'inside');
    expect(await read(join(workspace.path, 'b.txt'))).toMatchObject({ content: 'inside' });
  });

  it('treats URL-encoded dots as a plain name, not a parent directory', async () => {
    expect((await readFailure('%2e%2e/%2e%2e/etc/passwd')).code).toBe('not_found');
  });

  it('refuses a symlink to /etc/passwd and a symlinked directory that leaves the workspace', async () => {
    await symlink('/etc/passwd', join(workspace.path, 'passwd'));
    await symlink(outside.path, join(workspace.path, 'elsewhere'));
    expect((await readFailure('passwd')).code).toBe('path_outside_workspace');
    expect((await readFailure('elsewhere/secret.txt')).code).toBe('path_outside_workspace');
  });

  it('follows a symlink that stays inside the workspace', async () => {
    await writeFile(join(workspace.path, 'real.txt'), 'target');
    await symlink('real.txt', join(workspace.path, 'alias.txt'));
    expect(await read('alias.txt')).toMatchObject({ content: 'target' });
  });

  it('refuses a symlink the agent created with an earlier shell_exec call', async () => {
    const context = makeContext(workspace.path, { shellAllow: ['ln'] });
    await callTool(builtin('shell_exec'), { argv: ['ln', '-s', '/etc/passwd', 'leak'] }, context);
    const failure = await toolFailure(builtin('fs_read'), { path: 'leak' }, context);
    expect(failure.code).toBe('path_outside_workspace');
  });

  it('refuses a FIFO without blocking', async () => {
    execFileSync('mkfifo', [join(workspace.path, 'pipe')]);
    expect((await readFailure('pipe')).code).toBe('special_file');
  });

  it('returns only the first maxReadBytes bytes and flags truncation', async () => {
    await writeFile(join(workspace.path, 'big.txt'), 'x'.repeat(100));
    const result = await callTool(
      builtin('fs_read', { maxReadBytes: 10 }),
      { path: 'big.txt' },
      makeContext(workspace.path),
    );
    expect(result).toMatchObject({ content: 'x'.repeat(10), size: 100, truncated: true });
  });

  it('returns binary content as base64', async () => {
    await writeFile(join(workspace.path, 'bin'), Buffer.from([0, 255, 1]));
    expect(await read('bin')).toMatchObject({ encoding: 'base64', content: 'AP8B' });
  });
});

describe('fs_write', () => {
  it('creates parent directories and is idempotent', async () => {
    const tool = builtin('fs_write');
    const context = makeContext(workspace.path);
    await callTool(tool, { path: 'deep/er/file.txt', content: 'one' }, context);
    await callTool(tool, { path: 'deep/er/file.txt', content: 'one' }, context);
    expect(await readFile(join(workspace.path, 'deep/er/file.txt'), 'utf8')).toBe('one');
    await callTool(tool, { path: 'deep/er/file.txt', content: 'two' }, context);
    expect(await readFile(join(workspace.path, 'deep/er/file.txt'), 'utf8')).toBe('two');
  });

  it('refuses escapes through .., absolute paths, and symlinked files or directories', async () => {
    await symlink(join(outside.path, 'secret.txt'), join(workspace.path, 'link.txt'));
    await symlink(outside.path, join(workspace.path, 'dir'));
    await symlink(join(outside.path, 'new.txt'), join(workspace.path, 'dangling.txt'));
    for (const path of [
      '../x.txt',
      'a/../../x.txt',
      join(outside.path, 'x.txt'),
      'link.txt',
      'dir/x.txt',
      'dir/sub/x.txt',
    ]) {
      expect((await writeFailure(path)).code, path).toBe('path_outside_workspace');
    }
    expect((await writeFailure('dangling.txt')).code).toBe('dangling_symlink');
    expect(await readFile(join(outside.path, 'secret.txt'), 'utf8')).toBe('top secret');
    await expect(readFile(join(outside.path, 'new.txt'))).rejects.toThrow();
    await expect(readFile(join(outside.path, 'sub', 'x.txt'))).rejects.toThrow();
  });

  it('refuses a FIFO and content over the size cap', async () => {
    execFileSync('mkfifo', [join(workspace.path, 'pipe')]);
    expect((await writeFailure('pipe')).code).toBe('special_file');
    const failure = await toolFailure(
      builtin('fs_write', { maxWriteBytes: 4 }),
      { path: 'a.txt', content: 'too long' },
      makeContext(workspace.path),
    );
    expect(failure.code).toBe('too_large');
  });
});

describe('fs_list', () => {
  it('lists entries with type and size, without following symlinks', async () => {
    await writeFile(join(workspace.path, 'a.txt'), 'abc');
    await mkdir(join(workspace.path, 'sub'));
    await symlink('/etc', join(workspace.path, 'etc'));
    const result = await callTool(builtin('fs_list'), {}, makeContext(workspace.path));
    expect(result).toMatchObject({
      path: '.',
      truncated: false,
      entries: [
        { name: 'a.txt', type: 'file', size: 3 },
        { name: 'etc', type: 'symlink' },
        { name: 'sub', type: 'directory' },
      ],
    });
    const failure = await toolFailure(builtin('fs_list'), { path: 'etc' }, makeContext(workspace.path));
    expect(failure.code).toBe('path_outside_workspace');
    expect((await toolFailure(builtin('fs_list'), { path: '..' }, makeContext(workspace.path))).code).toBe(
      'path_outside_workspace',
    );
  });
});
