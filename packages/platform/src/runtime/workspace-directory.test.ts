import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkWorkspaceDirectory } from './workspace-directory.ts';

const scratch = (): string => mkdtempSync(join(tmpdir(), 'autonoma-workspace-'));

describe('checkWorkspaceDirectory', () => {
  it('accepts a directory, also through a symbolic link', async () => {
    const root = scratch();
    mkdirSync(join(root, 'dir'));
    symlinkSync(join(root, 'dir'), join(root, 'link'));
    await checkWorkspaceDirectory(join(root, 'dir'), { readWrite: true });
    await checkWorkspaceDirectory(join(root, 'link'), { readWrite: true });
  });

  it('refuses a missing path, a file and a path below a file with one line naming the label', async () => {
    const root = scratch();
    writeFileSync(join(root, 'file'), 'x');
    symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
    const cases: [string, string][] = [
      ['missing', 'no such directory'],
      ['dangling', 'no such directory'],
      ['file', 'not a directory'],
      [join('file', 'below'), 'not a directory'],
    ];
    for (const [name, why] of cases) {
      const path = join(root, name);
      await expect(checkWorkspaceDirectory(path, { label: '--workspace' })).rejects.toMatchObject({
        code: 'invalid_workspace',
        message: `--workspace ${path}: ${why}`,
      });
    }
    await expect(checkWorkspaceDirectory(join(root, 'missing'))).rejects.toThrow(
      `workspace ${join(root, 'missing')}: no such directory`,
    );
  });
});
