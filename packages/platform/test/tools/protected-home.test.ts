import { existsSync } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AutonomaError } from '@autonoma/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { checkWorkspace } from '../../src/tools/sandbox/protected-paths.ts';
import { callSkill, contextFor, skill, skillFailure } from '../skills/skill-harness.ts';
import { builtin, callTool, makeContext, temporaryDirectory, toolFailure } from './tool-harness.ts';

let scratch: { path: string; remove: () => Promise<void> };

beforeEach(async () => {
  scratch = await temporaryDirectory('autonoma-home-');
});
afterEach(async () => {
  await scratch.remove();
});

/** A home holding a store file, as `createApp` leaves it. */
async function makeHome(home: string): Promise<string> {
  await mkdir(join(home, 'data'), { recursive: true });
  const store = join(home, 'data', 'x');
  await writeFile(store, 'the store');
  return store;
}

describe('file tools with the home inside the workspace (the default layout)', () => {
  let workspace: string;
  let home: string;
  let store: string;
  const tools = () => ({
    read: builtin('fs_read', { home }),
    write: builtin('fs_write', { home }),
    list: builtin('fs_list', { home }),
  });

  beforeEach(async () => {
    workspace = scratch.path;
    home = join(workspace, '.autonoma');
    store = await makeHome(home);
    await writeFile(join(workspace, 'notes.txt'), 'notes');
    await mkdir(join(workspace, 'sub'));
    await symlink(home, join(workspace, 'home-link'));
    await symlink(store, join(workspace, 'store-link'));
  });

  const attempts = () => [
    '.autonoma/data/x',
    '.autonoma',
    join(home, 'data', 'x'),
    'home-link/data/x',
    'store-link',
    'sub/../.autonoma/data/x',
    './.autonoma/../.autonoma/./data/x',
    'sub/../home-link/data/x',
  ];

  it('refuses to read the store by any path', async () => {
    const context = makeContext(workspace);
    for (const path of attempts()) {
      const failure = await toolFailure(tools().read, { path }, context);
      expect({ path, code: failure.code }).toEqual({ path, code: 'path_protected' });
    }
    const failure = await toolFailure(tools().read, { path: '.autonoma/data/x' }, context);
    expect(failure.message).toBe(
      "'.autonoma/data/x' is Autonoma's own data (AUTONOMA_HOME); tools cannot touch it",
    );
    await expect(callTool(tools().read, { path: 'notes.txt' }, context)).resolves.toMatchObject({
      content: 'notes',
    });
  });

  it('refuses to write the store by any path, and changes nothing in it', async () => {
    const context = makeContext(workspace);
    for (const path of [...attempts(), '.autonoma/new/file', 'home-link/new/file']) {
      const failure = await toolFailure(tools().write, { path, content: 'clobbered' }, context);
      expect({ path, code: failure.code }).toEqual({ path, code: 'path_protected' });
    }
    expect(await readFile(store, 'utf8')).toBe('the store');
    expect(existsSync(join(home, 'new'))).toBe(false);
    await callTool(tools().write, { path: 'sub/ok.txt', content: 'fine' }, context);
    expect(await readFile(join(workspace, 'sub', 'ok.txt'), 'utf8')).toBe('fine');
  });

  it('creates no directory of a home that does not exist yet, even through a symlink', async () => {
    const later = join(workspace, 'later-home');
    await symlink(workspace, join(workspace, 'alias'));
    const write = builtin('fs_write', { home: later });
    const context = makeContext(workspace);
    for (const path of ['later-home/data/x', 'alias/later-home/data/x', 'alias/later-home']) {
      expect((await toolFailure(write, { path, content: 'planted' }, context)).code).toBe('path_protected');
    }
    expect(existsSync(later)).toBe(false);
  });

  it('leaves the home out of listings and refuses to list it', async () => {
    const context = makeContext(workspace);
    const listing = (await callTool(tools().list, {}, context)) as { entries: { name: string }[] };
    const names = listing.entries.map((entry) => entry.name);
    expect(names).not.toContain('.autonoma');
    expect(names).toEqual(expect.arrayContaining(['notes.txt', 'sub', 'home-link']));
    for (const path of ['.autonoma', '.autonoma/data', 'home-link', join(home, 'data')]) {
      expect((await toolFailure(tools().list, { path }, context)).code).toBe('path_protected');
    }
  });
});

describe('file tools with the workspace inside the home (API runs)', () => {
  it('work in the workspace and reach nothing else of the home', async () => {
    const home = scratch.path;
    const store = await makeHome(home);
    const workspace = join(home, 'workspaces', 'r1');
    await mkdir(join(home, 'workspaces', 'r2'), { recursive: true });
    await mkdir(workspace);
    const context = makeContext(workspace);
    const [read, write, list] = ['fs_read', 'fs_write', 'fs_list'].map((name) => builtin(name, { home }));
    if (!read || !write || !list) throw new Error('missing tool');
    await callTool(write, { path: '.autonoma/findings/a.txt', content: 'mine' }, context);
    await expect(callTool(read, { path: '.autonoma/findings/a.txt' }, context)).resolves.toMatchObject({
      content: 'mine',
    });
    await expect(callTool(list, {}, context)).resolves.toMatchObject({
      entries: [{ name: '.autonoma', type: 'directory' }],
    });
    for (const path of ['../../data/x', store, '../r2/x', '..']) {
      const code = (await toolFailure(read, { path }, context)).code;
      expect(['path_outside_workspace', 'path_protected']).toContain(code);
      expect((await toolFailure(write, { path, content: 'x' }, context)).code).toMatch(
        /^(path_outside_workspace|path_protected|is_directory)$/,
      );
    }
    await symlink(join(home, 'data'), join(workspace, 'data-link'));
    expect((await toolFailure(read, { path: 'data-link/x' }, context)).code).toMatch(
      /^(path_outside_workspace|path_protected)$/,
    );
    expect(await readFile(store, 'utf8')).toBe('the store');
  });
});

describe('checkWorkspace', () => {
  it('refuses the home itself as a workspace, by any name, in one line', async () => {
    const home = join(scratch.path, 'home');
    await makeHome(home);
    await symlink(home, join(scratch.path, 'home-alias'));
    for (const workspace of [home, `${home}/`, join(scratch.path, 'home-alias')]) {
      const failure = (() => {
        try {
          checkWorkspace(home, workspace);
        } catch (error) {
          return error;
        }
        return undefined;
      })();
      expect(failure).toBeInstanceOf(AutonomaError);
      expect(failure).toMatchObject({ code: 'invalid_workspace', status: 400 });
      expect((failure as Error).message).toContain(workspace);
      expect((failure as Error).message).not.toContain('\n');
    }
    expect(() => checkWorkspace(home, join(home, 'data', 'base'))).toThrow(/data directory/);
  });

  it('accepts a workspace that holds the home, one the home holds, and one apart', async () => {
    const home = join(scratch.path, '.autonoma');
    await makeHome(home);
    expect(() => checkWorkspace(home, scratch.path)).not.toThrow();
    expect(() => checkWorkspace(home, join(home, 'workspaces', 'r1'))).not.toThrow();
    expect(() => checkWorkspace(join(scratch.path, 'not-yet'), scratch.path)).not.toThrow();
  });

  it('matches what the tools do with a workspace that is the home', async () => {
    const home = scratch.path;
    await makeHome(home);
    await writeFile(join(home, 'notes.txt'), 'notes');
    const failure = await toolFailure(builtin('fs_read', { home }), { path: 'notes.txt' }, makeContext(home));
    expect(failure.code).toBe('path_protected');
  });
});

describe('skills with the home inside the workspace', () => {
  it('never read the home in a source-tree scan, and refuse paths in it', async () => {
    const workspace = scratch.path;
    // Not named .autonoma, which the scan skips by name anyway.
    const home = join(workspace, 'state');
    await makeHome(home);
    await writeFile(join(home, 'data', 'secret.ts'), '// TODO leaked goal of another run\n');
    await mkdir(join(workspace, 'src'));
    await writeFile(join(workspace, 'src', 'a.ts'), '// TODO real work\nexport {};\n');
    const context = contextFor(workspace);
    const analysis = await callSkill<{ files: number; markers: { file: string; text: string }[] }>(
      skill('analyze_source_tree', { home }),
      { path: '.' },
      context,
    );
    expect(analysis.files).toBe(1);
    expect(analysis.markers).toEqual([expect.objectContaining({ file: 'src/a.ts', text: 'real work' })]);
    const refused = [
      [skill('analyze_source_tree', { home }), { path: 'state' }],
      [skill('summarize_dataset', { home }), { path: 'state/data/x' }],
      [skill('summarize_csv_fast', { home }), { path: 'state/data/x.csv' }],
      [skill('write_report', { home }), { path: 'state/report.md' }],
    ] as const;
    for (const [tool, input] of refused) {
      expect({ tool: tool.name, code: (await skillFailure(tool, input, context)).code }).toEqual({
        tool: tool.name,
        code: 'path_protected',
      });
    }
    expect(existsSync(join(home, 'report.md'))).toBe(false);
  });

  it('still keep their findings under .autonoma when that is the home', async () => {
    const workspace = scratch.path;
    const home = join(workspace, '.autonoma');
    await makeHome(home);
    await mkdir(join(workspace, 'src'));
    await writeFile(join(workspace, 'src', 'a.ts'), 'export {};\n');
    const context = contextFor(workspace);
    await callSkill(skill('analyze_source_tree', { home }), { path: '.' }, context);
    const report = await callSkill<{ reportPath: string }>(skill('write_report', { home }), {}, context);
    expect(report.reportPath).toBe('autonoma-report.md');
    expect(await readFile(join(workspace, 'autonoma-report.md'), 'utf8')).toContain('src');
  });
});

describe('the composition root', () => {
  it('protects the default home (./.autonoma in the current directory) in every file tool', async () => {
    const workspace = scratch.path;
    const store = await makeHome(join(workspace, '.autonoma'));
    const { config } = loadConfig({ env: {}, cwd: workspace });
    const app = await createApp(config, { cwd: workspace, inMemory: true });
    try {
      const context = makeContext(workspace, { shellAllow: ['cat'] });
      const tool = (name: string) => {
        const found = app.tools.get(name);
        if (!found) throw new Error(`no tool ${name}`);
        return found;
      };
      expect((await toolFailure(tool('fs_read'), { path: '.autonoma/data/x' }, context)).code).toBe(
        'path_protected',
      );
      const clobber = { path: '.autonoma/data/x', content: 'clobbered' };
      expect((await toolFailure(tool('fs_write'), clobber, context)).code).toBe('path_protected');
      expect((await toolFailure(tool('summarize_dataset'), { path: '.autonoma/data/x' }, context)).code).toBe(
        'path_protected',
      );
      expect(await readFile(store, 'utf8')).toBe('the store');
    } finally {
      await app.close();
    }
  });
});
