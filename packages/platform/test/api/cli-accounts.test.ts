/**
 * The CLI's accounts against a real `autonoma serve` (issue 11, item 11): `autonoma user create` on
 * the embedded store and against the server as an administrator, `autonoma login --server URL` (the
 * password from standard input, the tokens in a 0600 file, never on argv), commands with `--server`
 * using the stored session and renewing it when the access token expires, `autonoma logout` ending
 * the session on the server, and a role's limits reaching the CLI as a one-line reason and exit 2.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliResult } from '../support/cli.ts';
import { cliEnvironment, repositoryRoot, startCli } from '../support/cli.ts';
import { waitFor } from '../support/wait-for.ts';

const nodeBinary = resolve(repositoryRoot, 'node_modules/.bin/node');
const cliScript = resolve(repositoryRoot, 'packages/platform/bin/autonoma.mjs');

/** Runs `autonoma <args>` with `input` on its standard input. */
function cli(args: string[], env: Record<string, string>, input?: string): Promise<CliResult> {
  const child = spawn(nodeBinary, [cliScript, ...args], {
    cwd: repositoryRoot,
    env,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  if (input !== undefined) child.stdin?.end(input);
  return new Promise((done) => child.on('close', (code, signal) => done({ code, signal, stdout, stderr })));
}

interface StoredFile {
  servers: Record<string, { accessToken: string; refreshToken: string; expiresAt: number; email?: string }>;
}

describe('the CLI signs in to a server, uses and renews its session, and signs out', () => {
  const ownerPassword = 'owner-correct-horse-battery';
  let server: { child: ChildProcess; done: Promise<CliResult> };
  let url = '';
  let serverEnv: Record<string, string>;
  /** A client machine: another home (no local credential for the server) and its own token file. */
  let clientEnv: Record<string, string>;
  let tokenFile: string;

  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), 'autonoma-cli-accounts-'));
    serverEnv = cliEnvironment({ AUTONOMA_HOME: join(root, 'server-home') });
    tokenFile = join(root, 'client', 'config', 'credentials.json');
    clientEnv = cliEnvironment({
      AUTONOMA_HOME: join(root, 'client-home'),
      AUTONOMA_CREDENTIALS_FILE: tokenFile,
    });
    // The first owner, on the embedded store, before any server runs.
    const created = await cli(
      ['user', 'create', '--email', 'owner@example.org', '--role', 'owner', '--password-stdin'],
      serverEnv,
      `${ownerPassword}\n`,
    );
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toMatch(/^created user usr_\w+ owner@example\.org \(owner\)\n$/);
    server = startCli(['serve', '--port', '0'], serverEnv);
    const stderr: string[] = [];
    server.child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    await waitFor(
      () => {
        url = /serving the API at (http:\/\/[^\s]+)/.exec(stderr.join(''))?.[1] ?? '';
        return url !== '';
      },
      { what: 'the server to listen', timeoutMs: 120_000 },
    );
  }, 180_000);
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.done;
  });

  const stored = (): StoredFile => JSON.parse(readFileSync(tokenFile, 'utf8')) as StoredFile;

  it('login keeps the tokens in a 0600 file; a wrong password is refused; no password flag exists', async () => {
    const anonymous = await cli(['--server', url, 'runs', 'list'], clientEnv);
    expect(anonymous).toMatchObject({ code: 2, stderr: 'autonoma: authentication required\n' });
    const wrong = await cli(
      ['login', '--server', url, '--email', 'owner@example.org', '--password-stdin'],
      clientEnv,
      'not-the-password\n',
    );
    expect(wrong).toMatchObject({ code: 2, stderr: 'autonoma: the email or password is incorrect\n' });
    const flag = await cli(
      ['login', '--server', url, '--email', 'owner@example.org', '--password', 'x'],
      clientEnv,
    );
    expect(flag.code).not.toBe(0);
    expect(flag.stderr).toContain("unknown option '--password'");
    const noInput = await cli(['login', '--server', url, '--email', 'owner@example.org'], clientEnv);
    expect(noInput).toMatchObject({ code: 2 });
    expect(noInput.stderr).toContain('--password-stdin');

    const login = await cli(
      ['login', '--server', url, '--email', 'owner@example.org', '--password-stdin'],
      clientEnv,
      `${ownerPassword}\n`,
    );
    expect(login).toMatchObject({ code: 0, stdout: `signed in to ${url} as owner@example.org\n` });
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(tokenFile, '..')).mode & 0o777).toBe(0o700);
    const text = readFileSync(tokenFile, 'utf8');
    expect(text).not.toContain(ownerPassword);
    expect(stored().servers[url]).toMatchObject({ email: 'owner@example.org' });

    const listed = await cli(['--server', url, 'runs', 'list'], clientEnv);
    expect(listed).toMatchObject({ code: 0, stdout: 'no runs\n' });
  });

  it('user create against the server as an administrator; an operator is refused with exit 2', async () => {
    const created = await cli(
      [
        '--server',
        url,
        'user',
        'create',
        '--email',
        'op@example.org',
        '--role',
        'operator',
        '--password-stdin',
      ],
      clientEnv,
      'operator-horse-battery\n',
    );
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^created user usr_\w+ op@example\.org \(operator\)\n$/);
    const duplicate = await cli(
      ['--server', url, 'user', 'create', '--email', 'op@example.org', '--password-stdin'],
      clientEnv,
      'operator-horse-battery\n',
    );
    expect(duplicate).toMatchObject({ code: 2 });
    expect(duplicate.stderr).toContain('already exists');

    const operatorEnv = { ...clientEnv, AUTONOMA_CREDENTIALS_FILE: `${tokenFile}.operator` };
    const login = await cli(
      ['--server', url, 'login', '--email', 'op@example.org', '--password-stdin'],
      operatorEnv,
      'operator-horse-battery\n',
    );
    expect(login.code).toBe(0);
    const refused = await cli(
      ['--server', url, 'user', 'create', '--email', 'x@example.org', '--password-stdin'],
      operatorEnv,
      'another-horse-battery\n',
    );
    expect(refused).toMatchObject({ code: 2, stderr: 'autonoma: role operator may not users:write\n' });
    // An operator still runs what operators run.
    expect((await cli(['--server', url, 'runs', 'list'], operatorEnv)).code).toBe(0);
  });

  it('an expired access token is renewed with the refresh token, once, and the spent one is dead', async () => {
    const before = stored().servers[url];
    if (!before) throw new Error('no stored session');
    writeFileSync(tokenFile, JSON.stringify({ servers: { [url]: { ...before, expiresAt: 0 } } }), {
      mode: 0o600,
    });
    const listed = await cli(['--server', url, 'audit', 'list', '--action', 'auth.refresh'], clientEnv);
    expect(listed.code).toBe(0);
    const after = stored().servers[url];
    expect(after?.refreshToken).not.toBe(before.refreshToken);
    expect(after?.accessToken).not.toBe(before.accessToken);
    expect(after?.expiresAt).toBeGreaterThan(Date.now());
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    // The CLI spent the old refresh token, once. Presented again (by a thief who copied the file), it
    // is refused and revokes the whole session: the CLI's renewed tokens stop working too.
    const reused = await fetch(`${url}/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: before.refreshToken }),
    });
    expect(reused.status).toBe(401);
    const revoked = await cli(['--server', url, 'runs', 'list'], clientEnv);
    expect(revoked).toMatchObject({
      code: 2,
      stderr: `autonoma: the session with ${url} has ended; sign in again with 'autonoma login --server ${url}'\n`,
    });
  });

  it('logout ends the session on the server and forgets it', async () => {
    const login = await cli(
      ['login', '--server', url, '--email', 'owner@example.org', '--password-stdin'],
      clientEnv,
      `${ownerPassword}\n`,
    );
    expect(login.code).toBe(0);
    const session = stored().servers[url];
    if (!session) throw new Error('no stored session');
    const out = await cli(['--server', url, 'logout'], clientEnv);
    expect(out).toMatchObject({ code: 0, stdout: `signed out of ${url}\n` });
    const me = await fetch(`${url}/v1/auth/me`, {
      headers: { authorization: `Bearer ${session.accessToken}` },
    });
    expect(me.status).toBe(401);
    const refresh = await fetch(`${url}/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: session.refreshToken }),
    });
    expect(refresh.status).toBe(401);
    const again = await cli(['--server', url, 'runs', 'list'], clientEnv);
    expect(again).toMatchObject({ code: 2, stderr: 'autonoma: authentication required\n' });
    expect(await cli(['--server', url, 'logout'], clientEnv)).toMatchObject({
      code: 0,
      stdout: `not signed in to ${url}\n`,
    });
  });
});
