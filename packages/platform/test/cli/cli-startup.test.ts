import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CliResult } from '../support/cli.ts';
import { cliEnvironment, runCli } from '../support/cli.ts';

const preload = pathToFileURL(resolve(import.meta.dirname, 'record-loaded-modules.ts')).href;

const corePackage = /\/packages\/core\/src\//;
const actionModule = /\/packages\/platform\/src\/cli\/commands\/[\w-]+-action\.ts$/;
const ioredis = /\/node_modules\/ioredis\//;

/** Code that only running a command needs; parsing and help must load none of it. */
const commandOnly: Record<string, RegExp> = {
  '@autonoma/core': corePackage,
  'the store': /\/packages\/platform\/src\/store\//,
  'the composition root': /\/packages\/platform\/src\/app\.ts$/,
  'an action module': actionModule,
  yaml: /\/node_modules\/yaml\//,
  ioredis,
  pglite: /\/node_modules\/@electric-sql\/pglite/,
  zod: /\/node_modules\/zod\//,
};

/** Runs `autonoma <args>` in an empty directory; returns its result and every module it resolved. */
async function runRecorded(args: string[]): Promise<CliResult & { modules: string[] }> {
  const directory = mkdtempSync(join(tmpdir(), 'autonoma-startup-'));
  const record = join(directory, 'modules.txt');
  const result = await runCli(
    args,
    cliEnvironment({ NODE_OPTIONS: `--import=${preload}`, AUTONOMA_TEST_LOADED_MODULES: record }),
    directory,
  );
  return { ...result, modules: readFileSync(record, 'utf8').split('\n') };
}

/** The kinds of command-only code among `modules`, each with the first module of that kind. */
const commandOnlyLoaded = (modules: string[]): string[] =>
  Object.entries(commandOnly).flatMap(([name, pattern]) => {
    const found = modules.find((url) => pattern.test(url));
    return found ? [`${name}: ${found}`] : [];
  });

describe('autonoma start-up', () => {
  it.each([[['--version']], [['--help']], [['runs', 'list', '--help']]])(
    '%j loads no command implementation',
    async (args) => {
      const result = await runRecorded(args);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(args[0] === '--version' ? /^\d+\.\d+\.\d+\n$/ : /^Usage: autonoma /);
      // The recorder saw the CLI itself, so an empty list cannot pass for a light one.
      expect(result.modules.some((url) => url.endsWith('/packages/platform/src/cli/main.ts'))).toBe(true);
      expect(commandOnlyLoaded(result.modules)).toEqual([]);
    },
  );

  it('a command loads its own action, and only its own, when it runs', async () => {
    // Rejected before the store opens: the action and @autonoma/core load, the app does not.
    const result = await runRecorded(['runs', 'list', '--status', 'bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^autonoma: unknown run status 'bogus'/);
    const actions = result.modules.filter((url) => actionModule.test(url));
    expect(actions.map((url) => url.split('/').at(-1))).toEqual(['runs-action.ts']);
    expect(result.modules.some((url) => corePackage.test(url))).toBe(true);
    expect(result.modules.some((url) => ioredis.test(url))).toBe(false);
  });
});
