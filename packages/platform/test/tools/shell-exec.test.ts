import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer } from './loopback-server.ts';
import { builtin, callTool, makeContext, temporaryDirectory, toolFailure } from './tool-harness.ts';

const hasBwrap = existsSync('/usr/bin/bwrap');
let workspace: { path: string; remove: () => Promise<void> };

beforeEach(async () => {
  workspace = await temporaryDirectory('autonoma-shell-');
});
afterEach(async () => {
  await workspace.remove();
});

const run = (argv: string[], shellAllow: string[], options: Parameters<typeof builtin>[1] = {}) =>
  callTool(builtin('shell_exec', options), { argv }, makeContext(workspace.path, { shellAllow }));

describe('shell_exec', () => {
  it('keeps shell metacharacters literal', async () => {
    const args = [
      'a; touch pwned',
      '$(touch pwned)',
      '`touch pwned`',
      'b | cat',
      'line\nnext',
      '&& true',
      '> out',
      '*',
    ];
    const result = await run(['echo', ...args], ['echo']);
    expect(result).toMatchObject({ exitCode: 0, stdout: `${args.join(' ')}\n`, truncated: false });
    expect(await readdir(workspace.path)).toEqual([]);
  });

  it('refuses commands outside the allowlist and programs inside the workspace', async () => {
    const context = makeContext(workspace.path, { shellAllow: ['echo'] });
    const failure = await toolFailure(builtin('shell_exec'), { argv: ['rm', '-rf', '/'] }, context);
    expect(failure.code).toBe('command_not_allowed');
    expect(failure.message).toContain("'rm'");
    await writeFile(join(workspace.path, 'echo'), '#!/bin/sh\necho fake\n');
    await chmod(join(workspace.path, 'echo'), 0o755);
    expect(
      (await toolFailure(builtin('shell_exec'), { argv: [join(workspace.path, 'echo')] }, context)).code,
    ).toBe('command_not_allowed');
    expect(await run(['/usr/bin/echo', 'absolute'], ['echo'])).toMatchObject({ stdout: 'absolute\n' });
  });

  it('kills a command that outlives its time limit', async () => {
    const context = makeContext(workspace.path, { shellAllow: ['sleep'] });
    const tool = builtin('shell_exec', { shell: { timeoutMs: 300 } });
    const failure = await toolFailure(tool, { argv: ['sleep', '30'] }, context);
    expect(failure.code).toBe('timeout');
  });

  it('caps output per stream and flags truncation', async () => {
    const result = await run(['seq', '1', '100000'], ['seq'], { shell: { maxOutputBytes: 1000 } });
    expect(result).toMatchObject({ exitCode: 0, truncated: true });
    expect((result as { stdout: string }).stdout).toHaveLength(1000);
  });

  it('caps memory with prlimit --as', async () => {
    const script = 'import sys\ntry:\n  bytearray(512 * 1024 * 1024)\nexcept MemoryError:\n  sys.exit(42)';
    const result = await run(['python3', '-c', script], ['python3'], {
      shell: { memoryBytes: 128 * 1024 * 1024 },
    });
    expect(result).toMatchObject({ exitCode: 42 });
  });

  it('refuses to run without a sandbox unless the operator allows it', async () => {
    for (const bwrapPath of [null, '/nonexistent/bwrap']) {
      const tool = builtin('shell_exec', { shell: { bwrapPath } });
      const context = makeContext(workspace.path, { shellAllow: ['touch'] });
      const failure = await toolFailure(tool, { argv: ['touch', 'ran'] }, context);
      expect(failure.code).toBe('sandbox_unavailable');
      expect(failure.message).toContain('AUTONOMA_ALLOW_UNSANDBOXED=true');
    }
    expect(await readdir(workspace.path)).toEqual([]);
  });

  it('says so when it runs without a sandbox', async () => {
    const result = await run(['echo', 'hi'], ['echo'], {
      shell: { bwrapPath: null, allowUnsandboxed: true },
    });
    expect(result).toMatchObject({
      sandbox: 'none',
      stdout: 'hi\n',
      notice: expect.stringContaining('WITHOUT a sandbox'),
    });
  });

  it.runIf(hasBwrap)('runs in bubblewrap: no network, no host home, workspace writable', async () => {
    const target = await startServer((_request, response) => response.end('reached'));
    try {
      const probe = `exec 3<>/dev/tcp/127.0.0.1/${target.port} && echo connected`;
      const sandboxed = await run(['bash', '-c', probe], ['bash']);
      expect(sandboxed).toMatchObject({ sandbox: 'bwrap' });
      expect((sandboxed as { exitCode: number }).exitCode).not.toBe(0);
      const unconfined = await run(['bash', '-c', probe], ['bash'], {
        shell: { bwrapPath: null, allowUnsandboxed: true },
      });
      expect(unconfined).toMatchObject({ sandbox: 'none', exitCode: 0, stdout: 'connected\n' });
    } finally {
      await target.close();
    }
    const listing = (await run(['ls', '/'], ['ls'])) as { stdout: string };
    expect(listing.stdout.split('\n')).not.toContain('root');
    expect(listing.stdout.split('\n')).not.toContain('home');
    expect(await run(['touch', '/usr/pwned'], ['touch'])).not.toMatchObject({ exitCode: 0 });
    expect(await run(['touch', 'made-here'], ['touch'])).toMatchObject({ exitCode: 0 });
    expect(await readdir(workspace.path)).toEqual(['made-here']);
  });

  it.runIf(hasBwrap)('shows an empty directory in place of the home inside the workspace', async () => {
    const home = join(workspace.path, '.autonoma');
    await mkdir(join(home, 'data'), { recursive: true });
    await writeFile(join(home, 'data', 'x'), 'the store');
    await writeFile(join(workspace.path, 'notes.txt'), 'notes');
    const options = { home };
    const listing = await run(['ls', '-a', '.autonoma'], ['ls'], options);
    expect(listing).toMatchObject({ sandbox: 'bwrap', exitCode: 0, stdout: '.\n..\n' });
    const read = await run(['cat', '.autonoma/data/x'], ['cat'], options);
    expect(read).not.toMatchObject({ exitCode: 0 });
    expect((read as { stdout: string }).stdout).not.toContain('the store');
    await run(['rm', '-rf', '.autonoma', 'notes.txt'], ['rm'], options);
    await run(['bash', '-c', 'echo clobbered > .autonoma/data/x; mv .autonoma gone'], ['bash'], options);
    expect(await readFile(join(home, 'data', 'x'), 'utf8')).toBe('the store');
    // The rest of the workspace is the command's to change.
    expect(existsSync(join(workspace.path, 'notes.txt'))).toBe(false);
  });

  it('refuses to run in a workspace that is the home itself', async () => {
    const failure = await toolFailure(
      builtin('shell_exec', { home: workspace.path, shell: { allowUnsandboxed: true } }),
      { argv: ['ls'] },
      makeContext(workspace.path, { shellAllow: ['ls'] }),
    );
    expect(failure.code).toBe('path_protected');
  });
});
