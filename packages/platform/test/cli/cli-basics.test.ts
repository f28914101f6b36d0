import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEnvironment, runCli } from '../support/cli.ts';
import { postgresUrl } from '../support/postgres.ts';

const temporary = (): string => mkdtempSync(join(tmpdir(), 'autonoma-cli-'));
const oneLine = (text: string): void => {
  expect(text.trim().split('\n')).toHaveLength(1);
  expect(text).not.toMatch(/\n\s+at /);
};

describe('autonoma CLI basics', () => {
  it('prints its version and help', async () => {
    const version = await runCli(['--version'], cliEnvironment({}));
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await runCli(['--help'], cliEnvironment({}));
    expect(help.code).toBe(0);
    for (const command of ['run', 'resume', 'runs', 'migrate', 'doctor', 'approve', 'deny'])
      expect(help.stdout).toContain(command);
  });

  it('doctor creates and reports a healthy embedded store under ./.autonoma', async () => {
    const cwd = temporary();
    const result = await runCli(['doctor'], cliEnvironment({}), cwd);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`store: ok · embedded PGlite in ${join(cwd, '.autonoma', 'data')}`);
    expect(result.stdout).toMatch(/migrations: \d+ applied, none pending/);
    expect(result.stdout).toContain('healthy');
    expect(existsSync(join(cwd, '.autonoma', 'data'))).toBe(true);
  });

  it('doctor masks secrets and names the source of each value', async () => {
    const cwd = temporary();
    writeFileSync(join(cwd, 'autonoma.config.json'), JSON.stringify({ host: '127.0.0.2' }));
    const result = await runCli(
      ['doctor'],
      cliEnvironment({ OPENAI_API_KEY: 'sk-canary-doctor-secret-42' }),
      cwd,
    );
    expect(result.stdout).not.toContain('sk-canary-doctor-secret-42');
    expect(result.stdout).toMatch(/openaiApiKey\s+\*\*\*\*42\s+env \(OPENAI_API_KEY\)/);
    expect(result.stdout).toMatch(/host\s+127.0.0.2\s+file/);
  });

  it('doctor exits non-zero when the database is unreachable, and reports Redis', async () => {
    const result = await runCli(
      ['doctor'],
      cliEnvironment({
        DATABASE_URL: 'postgres://u:secretpw@127.0.0.1:1/x',
        REDIS_URL: 'redis://127.0.0.1:6379',
      }),
      temporary(),
    );
    expect(result.code).not.toBe(0);
    expect(result.stdout).toContain('store: BROKEN');
    expect(result.stdout).toContain('ECONNREFUSED');
    expect(result.stdout).toContain('redis: ok');
    expect(result.stdout + result.stderr).not.toContain('secretpw');
  });

  it.each([
    [
      'a malformed DATABASE_URL',
      { DATABASE_URL: 'not-a-url' },
      ['runs', 'list'],
      /DATABASE_URL is not a valid PostgreSQL URL/,
    ],
    [
      'an unreachable database',
      { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' },
      ['runs', 'list'],
      /cannot reach PostgreSQL at 127.0.0.1:1/,
    ],
    ['a wrong type in the environment', { PORT: 'abc' }, ['runs', 'list'], /'port' \(env PORT\)/],
    ['an empty goal', {}, ['run', '   '], /the goal is empty/],
    ['an unknown run', {}, ['resume', 'run_missing'], /run 'run_missing' not found/],
    [
      'an unknown provider',
      { AUTONOMA_MODEL: 'acme:x1' },
      ['run', 'hello'],
      /AUTONOMA_MODEL must be '<provider>:<model>'/,
    ],
    [
      'a missing API key',
      { AUTONOMA_MODEL: 'anthropic:claude-sonnet-4-5' },
      ['run', 'hello'],
      /set AUTONOMA_MODEL_API_KEY or ANTHROPIC_API_KEY/,
    ],
    ['an unknown agent', {}, ['run', '--agent', 'ghost', 'hello'], /agent 'ghost' not found/],
  ])('%s gives one clear line and a non-zero exit', async (_name, env, args, message) => {
    const result = await runCli(
      args,
      cliEnvironment({ AUTONOMA_HOME: join(temporary(), 'home'), ...env }),
      temporary(),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
    oneLine(result.stderr);
  });

  it('an unknown key in autonoma.config.json is named', async () => {
    const cwd = temporary();
    writeFileSync(join(cwd, 'autonoma.config.json'), JSON.stringify({ databaseUrll: 'x' }));
    const result = await runCli(['doctor'], cliEnvironment({}), cwd);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/unknown key 'databaseUrll'/);
    oneLine(result.stderr);
  });

  it('a data directory that is not writable is named', async () => {
    const parent = temporary();
    const blocked = join(parent, 'file-not-dir');
    writeFileSync(blocked, 'x');
    chmodSync(blocked, 0o400);
    const result = await runCli(['runs', 'list'], cliEnvironment({ AUTONOMA_HOME: blocked }), temporary());
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(blocked);
    oneLine(result.stderr);
  });

  it('a goal over the size limit is refused and nothing is stored', async () => {
    const home = join(temporary(), 'home');
    const result = await runCli(
      ['run', 'x'.repeat(20_001)],
      cliEnvironment({ AUTONOMA_HOME: home }),
      temporary(),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/longer than 20000 characters/);
    const list = await runCli(
      ['runs', 'list', '--json'],
      cliEnvironment({ AUTONOMA_HOME: home }),
      temporary(),
    );
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  it('migrate applies to PostgreSQL and is idempotent', async () => {
    const { createTestDatabase } = await import('../support/postgres.ts');
    const database = await createTestDatabase('autonoma_cli');
    try {
      const first = await runCli(['migrate'], cliEnvironment({ DATABASE_URL: database.url }));
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/applied .*0000_init/);
      const second = await runCli(['migrate'], cliEnvironment({ DATABASE_URL: database.url }));
      expect(second.code).toBe(0);
      expect(second.stdout).toContain('up to date');
      expect(second.stdout).not.toContain(new URL(postgresUrl).password || '\u0000');
    } finally {
      await database.drop();
    }
  });
});
