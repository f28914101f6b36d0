/** `autonoma schedules add|list|pause|resume|delete` on the embedded store, and its refusals. */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Schedule } from '@autonoma/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, runCli, type CliResult } from '../support/cli.ts';

const temporary = (): string => mkdtempSync(join(tmpdir(), 'autonoma-schedules-'));

/** Runs `autonoma <args>` on the embedded store under `home`. */
const cli = (home: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  runCli(args, cliEnvironment({ AUTONOMA_HOME: home, ...env }), temporary());

const succeeded = (result: CliResult): string => {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
};

const oneLine = (text: string): void => {
  expect(text.trim().split('\n')).toHaveLength(1);
  expect(text).not.toMatch(/\n\s+at /);
};

describe('autonoma schedules', () => {
  /** One embedded store for the tests that open one (the first open migrates it). */
  let home: string;
  beforeAll(async () => {
    home = join(temporary(), 'home');
    expect(succeeded(await cli(home, ['schedules', 'list']))).toBe('no schedules\n');
  });

  it('adds, lists, pauses, resumes and deletes schedules', { timeout: 180_000 }, async () => {
    const added = succeeded(
      await cli(home, [
        'schedules',
        'add',
        '--cron',
        '*/5 * * * *',
        '--tz',
        'Europe/Paris',
        '--priority',
        'high',
        'write',
        'the daily report',
      ]),
    );
    const id =
      /^schedule (sch_\w+) added: '\*\/5 \* \* \* \*' in Europe\/Paris · next (\d{4}-\d\d-\d\d \d\d:\d\d:00)\n$/.exec(
        added,
      )?.[1];
    expect(id).toBeDefined();

    const listed = JSON.parse(succeeded(await cli(home, ['schedules', 'list', '--json']))) as Schedule[];
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      id,
      cron: '*/5 * * * *',
      timeZone: 'Europe/Paris',
      priority: 'high',
      paused: false,
      goal: { text: 'write the daily report' },
      lastFiredSlot: null,
    });
    expect((listed[0]?.nextFireAt ?? 0) % 300_000).toBe(0);
    const text = succeeded(await cli(home, ['schedules', 'list']));
    expect(text).toContain(`${id}  '*/5 * * * *' Europe/Paris  next `);
    expect(text).toContain('agent default  high  write the daily report');

    expect(succeeded(await cli(home, ['schedules', 'pause', id ?? '']))).toBe(`schedule ${id} paused\n`);
    expect(succeeded(await cli(home, ['schedules', 'list']))).toContain(
      `Europe/Paris  paused  agent default`,
    );
    expect(succeeded(await cli(home, ['schedules', 'resume', id ?? '']))).toMatch(
      new RegExp(`^schedule ${id} resumed · next \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:00 Europe/Paris\\n$`),
    );

    // Without --tz, the cron is read where the person typing it is.
    const local = JSON.parse(
      succeeded(
        await cli(home, ['schedules', 'add', '--json', '--cron', '0 9 * * *', 'morning digest'], {
          TZ: 'America/New_York',
        }),
      ),
    ) as Schedule;
    expect(local).toMatchObject({ timeZone: 'America/New_York', cron: '0 9 * * *', priority: 'normal' });

    expect(succeeded(await cli(home, ['schedules', 'delete', id ?? '']))).toBe(`schedule ${id} deleted\n`);
    expect(succeeded(await cli(home, ['schedules', 'delete', local.id]))).toBe(
      `schedule ${local.id} deleted\n`,
    );
    expect(succeeded(await cli(home, ['schedules', 'list']))).toBe('no schedules\n');
  });

  it.each([
    [
      'a bad cron',
      ['--cron', '61 * * * *', 'g'],
      "autonoma: invalid cron expression '61 * * * *': minute field '61': got value 61 expected range 0-59",
    ],
    [
      'a cron with too few fields',
      ['--cron', '*/5 * *', 'g'],
      "autonoma: invalid cron expression '*/5 * *': expected 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first; got 3",
    ],
    [
      'an unknown time zone',
      ['--cron', '*/5 * * * *', '--tz', 'Mars/Olympus', 'g'],
      "autonoma: invalid time zone 'Mars/Olympus': not an IANA time zone name (such as UTC, Europe/Paris or America/New_York)",
    ],
    [
      'a bad priority',
      ['--cron', '*/5 * * * *', '--priority', 'urgent', 'g'],
      "autonoma: invalid priority 'urgent': one of critical, high, normal, low",
    ],
    ['an empty goal', ['--cron', '*/5 * * * *'], 'autonoma: invalid goal: text: the goal is empty'],
  ])('refuses %s in one line, before opening the store', async (_name, args, line) => {
    const unused = join(temporary(), 'home');
    const result = await cli(unused, ['schedules', 'add', ...args]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`${line}\n`);
    expect(existsSync(unused)).toBe(false);
  });

  it.each([
    [
      'an unknown agent',
      ['add', '--cron', '*/5 * * * *', '--agent', 'ghost', 'g'],
      "autonoma: agent 'ghost' not found",
    ],
    ['an unknown schedule to pause', ['pause', 'sch_missing'], "autonoma: schedule 'sch_missing' not found"],
    [
      'an unknown schedule to delete',
      ['delete', 'sch_missing'],
      "autonoma: schedule 'sch_missing' not found",
    ],
  ])('refuses %s in one line', async (_name, args, line) => {
    const result = await cli(home, ['schedules', ...args]);
    expect(result.code).toBe(2);
    oneLine(result.stderr);
    expect(result.stderr).toBe(`${line}\n`);
  });

  it('`schedules add --help` loads no command code', async () => {
    const directory = temporary();
    const record = join(directory, 'modules.txt');
    const preload = pathToFileURL(resolve(import.meta.dirname, '../cli/record-loaded-modules.ts')).href;
    const result = await runCli(
      ['schedules', 'add', '--help'],
      cliEnvironment({ NODE_OPTIONS: `--import=${preload}`, AUTONOMA_TEST_LOADED_MODULES: record }),
      directory,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--cron <expression>');
    const modules = readFileSync(record, 'utf8').split('\n');
    expect(modules.some((url) => url.endsWith('/packages/platform/src/cli/commands/schedules.ts'))).toBe(
      true,
    );
    expect(
      modules.filter((url) => /schedules-action\.ts$|\/cron-parser\/|\/packages\/core\/src\//.test(url)),
    ).toEqual([]);
  });
});
