import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkDependencies, importsOf } from './dependency-guard.ts';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A throwaway workspace: a clean core and platform, plus `extra` files (path → text) on top. */
function workspace(extra: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'dependency-guard-'));
  roots.push(root);
  const files: Record<string, string> = {
    'packages/core/src/errors.ts': 'export class AutonomaError extends Error {}\n',
    'packages/core/src/protocol/run.ts': "import { z } from 'zod';\nexport const Run = z.object({});\n",
    'packages/core/src/protocol/context.ts':
      "import { AutonomaError } from '../errors.ts';\nimport { Run } from './run.ts';\nexport { AutonomaError, Run };\n",
    'packages/core/src/protocol/index.ts': "export * from './run.ts';\nexport * from './context.ts';\n",
    'packages/core/src/agent/loop.ts':
      "import type { Run } from '../protocol/index.ts';\nimport { z } from 'zod/mini';\nexport type Loop = Run;\n",
    'packages/platform/src/app.ts':
      "import { readFileSync } from 'node:fs';\nimport type { Loop } from '../../core/src/agent/loop.ts';\nexport type App = Loop;\n",
    ...extra,
  };
  for (const [path, text] of Object.entries(files)) {
    const target = join(root, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
  return root;
}

describe('checkDependencies', () => {
  it('passes a clean workspace', () => {
    expect(checkDependencies(workspace())).toEqual({ files: 6, problems: [] });
  });

  it('refuses a relative import that leads out of packages/core/src', () => {
    const { problems } = checkDependencies(
      workspace({
        'packages/core/src/agent/leak.ts': "import { app } from '../../../platform/src/app.ts';\n",
        'packages/core/src/outside.ts': "export * from '../package.json';\n",
      }),
    );
    expect(problems).toEqual([
      "packages/core/src/agent/leak.ts: core may import only zod and its own files, found '../../../platform/src/app.ts'",
      "packages/core/src/outside.ts: core may import only zod and its own files, found '../package.json'",
    ]);
  });

  it('refuses built-ins and libraries other than zod in core, in any import form', () => {
    const { problems } = checkDependencies(
      workspace({
        'packages/core/src/io.ts': [
          "import { readFile } from 'node:fs/promises';",
          "export { pino } from 'pino';",
          "import 'reflect-metadata';",
          "const later = () => import('ioredis');",
          "// import { ignored } from 'in-a-comment';",
        ].join('\n'),
      }),
    );
    expect(problems).toEqual([
      "packages/core/src/io.ts: core may import only zod, found 'node:fs/promises'",
      "packages/core/src/io.ts: core may import only zod, found 'pino'",
      "packages/core/src/io.ts: core may import only zod, found 'reflect-metadata'",
      "packages/core/src/io.ts: core may import only zod, found 'ioredis'",
    ]);
  });

  it('keeps protocol to zod, its own files and errors.ts', () => {
    const { problems } = checkDependencies(
      workspace({
        'packages/core/src/protocol/events.ts': "import type { Loop } from '../agent/loop.ts';\n",
      }),
    );
    expect(problems).toEqual([
      "packages/core/src/protocol/events.ts: protocol may import only zod, protocol files and errors.ts, found '../agent/loop.ts'",
    ]);
  });

  it('reports a circular import', () => {
    const { problems } = checkDependencies(
      workspace({
        'packages/platform/src/a.ts': "import { b } from './b.ts';\nexport const a = b;\n",
        'packages/platform/src/b.ts': "import { a } from './a.ts';\nexport const b = a;\n",
      }),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^circular import: packages\/platform\/src\/[ab]\.ts -> packages\/platform\/src\/[ab]\.ts$/,
    );
  });

  it('ignores test files', () => {
    const { problems } = checkDependencies(
      workspace({ 'packages/core/src/agent/loop.test.ts': "import { tmpdir } from 'node:os';\n" }),
    );
    expect(problems).toEqual([]);
  });
});

describe('importsOf', () => {
  it('finds static, side-effect, dynamic and re-export specifiers, not commented ones', () => {
    const text = `import a from 'a';\nimport type { B } from "b";\nimport 'c';\nexport * from './d.ts';\nawait import('e');\n/* import f from 'f'; */\n`;
    expect(importsOf(text)).toEqual(['a', 'b', 'c', './d.ts', 'e']);
  });
});

describe('this repository', () => {
  it('has a protocol and a core that stay inside their bounds', () => {
    const root = resolve(import.meta.dirname, '..');
    const bounds = checkDependencies(root).problems.filter((problem) => !problem.startsWith('circular'));
    expect(bounds).toEqual([]);
  });
});
