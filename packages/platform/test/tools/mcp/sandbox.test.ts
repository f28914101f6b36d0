import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolError } from '@autonoma/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { McpToolHost } from '../../../src/tools/mcp/index.ts';
import { callTool, makeContext, toolFailure } from '../tool-harness.ts';
import { connect, fixtureConfig, toolOf } from './mcp-harness.ts';

const hasBwrap = existsSync('/usr/bin/bwrap');
let scratch: string;

// Outside /tmp, which the sandbox replaces with an empty one: what is hidden must be hidden by the rule.
beforeEach(async () => {
  const parent = existsSync('/var/tmp') ? '/var/tmp' : tmpdir();
  scratch = await realpath(await mkdtemp(join(parent, 'autonoma-mcp-sandbox-')));
});
afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A home with a store file in it, and a workspace with a file of its own. */
async function layout(home: string, workspace: string): Promise<void> {
  await mkdir(join(home, 'data'), { recursive: true });
  await writeFile(join(home, 'data', 'x'), 'the store');
  await mkdir(workspace, { recursive: true });
  await writeFile(join(workspace, 'notes.txt'), 'workspace notes');
}

const text = (result: unknown): string => (result as { content: { text: string }[] }).content[0]?.text ?? '';

/** What the server's `read_file` answers: the file, or the error code it met. */
const readThrough = (host: McpToolHost, path: string): Promise<string> =>
  callTool(toolOf(host, 'files__read_file'), { path }, makeContext(scratch)).then(text, (error: unknown) =>
    error instanceof ToolError ? error.message : String(error),
  );

describe.runIf(hasBwrap)('a stdio MCP server in bubblewrap', () => {
  it('cannot read or write the home inside its workspace, but works in the workspace', async () => {
    const workspace = scratch;
    const home = join(workspace, '.autonoma');
    await layout(home, workspace);
    const host = await connect([fixtureConfig('files')], { home, workspace, allowUnsandboxed: false });
    try {
      expect(host.status()[0]).toMatchObject({ state: 'ready' });
      expect(await readThrough(host, join(workspace, 'notes.txt'))).toBe('workspace notes');
      expect(await readThrough(host, join(home, 'data', 'x'))).toBe('ENOENT');
      const write = toolOf(host, 'files__write_file');
      const context = makeContext(workspace);
      const clobber = { path: join(home, 'data', 'x'), text: 'clobbered' };
      expect((await toolFailure(write, clobber, context)).message).toBe('ENOENT');
      await callTool(write, { path: join(workspace, 'made.txt'), text: 'made' }, context);
      expect(await readFile(join(home, 'data', 'x'), 'utf8')).toBe('the store');
      expect(await readFile(join(workspace, 'made.txt'), 'utf8')).toBe('made');
    } finally {
      await host.close();
    }
  });

  it('sees a workspace inside the home, and nothing else of the home', async () => {
    const home = join(scratch, 'home');
    const workspace = join(home, 'workspaces', 'r1');
    await layout(home, workspace);
    const host = await connect([fixtureConfig('files')], { home, workspace, allowUnsandboxed: false });
    try {
      expect(await readThrough(host, join(workspace, 'notes.txt'))).toBe('workspace notes');
      expect(await readThrough(host, join(home, 'data', 'x'))).toBe('ENOENT');
    } finally {
      await host.close();
    }
  });

  it('sees the host read-only, and may write its own HOME', async () => {
    const workspace = join(scratch, 'ws');
    const serverHome = join(scratch, 'server-home');
    const elsewhere = join(scratch, 'elsewhere.txt');
    await layout(join(scratch, 'home'), workspace);
    await mkdir(serverHome);
    const config = fixtureConfig('files', { env: { HOME: serverHome } });
    const host = await connect([config], { home: join(scratch, 'home'), workspace });
    try {
      const write = toolOf(host, 'files__write_file');
      const context = makeContext(workspace);
      await callTool(write, { path: join(serverHome, 'cache'), text: 'cached' }, context);
      expect(await readFile(join(serverHome, 'cache'), 'utf8')).toBe('cached');
      expect((await toolFailure(write, { path: elsewhere, text: 'x' }, context)).message).toBe('EROFS');
      expect(existsSync(elsewhere)).toBe(false);
    } finally {
      await host.close();
    }
  });
});

describe('a stdio MCP server without bubblewrap', () => {
  it('is refused unless unconfined servers are allowed, with the reason', async () => {
    const workspace = scratch;
    const home = join(workspace, '.autonoma');
    await layout(home, workspace);
    const options = { home, workspace, bwrapPath: '/nonexistent/bwrap' };
    const refused = await connect([fixtureConfig('files')], { ...options, allowUnsandboxed: false });
    try {
      expect(refused.status()).toEqual([
        {
          server: 'files',
          state: 'failed',
          error:
            "mcp server 'files' failed to start: bubblewrap (bwrap) is not available here, so the server cannot be confined; the operator may allow unconfined servers with AUTONOMA_ALLOW_UNSANDBOXED=true",
          tools: 0,
        },
      ]);
      expect(refused.list()).toEqual([]);
    } finally {
      await refused.close();
    }
    const allowed = await connect([fixtureConfig('files')], { ...options, allowUnsandboxed: true });
    try {
      expect(allowed.status()[0]).toMatchObject({ state: 'ready' });
    } finally {
      await allowed.close();
    }
  });
});
