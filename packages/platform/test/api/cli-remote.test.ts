/**
 * The CLI across processes on one home (issue 8, item 7) and against a server: while `autonoma run`
 * holds the embedded store, other terminals list, show, cancel, approve — through its control socket,
 * with the output and exit codes they have embedded; a killed holder's stale socket is replaced; and
 * `autonoma run --server` against `autonoma serve` prints what an embedded run prints.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fixture, RecordedRequest } from '../fixtures/openai-server.ts';
import { startOpenAiFixture } from '../fixtures/openai-server.ts';
import type { CliResult } from '../support/cli.ts';
import { cliEnvironment, runCli, startCli } from '../support/cli.ts';
import { waitFor } from '../support/wait-for.ts';

const toolResults = (request: RecordedRequest): number =>
  ((request.body as { messages?: { role?: string }[] }).messages ?? []).filter(
    (message) => message.role === 'tool',
  ).length;
const goalOf = (request: RecordedRequest): string => JSON.stringify(request.body);

/**
 * One model for every goal of the suite: "a slow survey" lists missing directories forever (400 ms a
 * step), "write a greeting" writes a file (which the careful agent must have approved), anything else
 * answers at once.
 */
const script = (request: RecordedRequest) => {
  const done = toolResults(request);
  const goal = goalOf(request);
  if (goal.includes('a slow survey'))
    return {
      kind: 'tool-calls' as const,
      delayMs: 400,
      calls: [{ name: 'fs_list', input: { path: `missing-${done}` } }],
    };
  if (goal.includes('write a greeting'))
    return done === 0
      ? {
          kind: 'tool-calls' as const,
          calls: [{ name: 'fs_write', input: { path: 'greeting.txt', content: 'hello' } }],
        }
      : { kind: 'text' as const, text: 'greeting written' };
  return { kind: 'text' as const, text: 'hello there', usage: { inputTokens: 20, outputTokens: 3 } };
};

interface ControlRecord {
  pid: number;
  kind: string;
  socket: string;
  url?: string;
}
const controlOf = (home: string): ControlRecord | undefined => {
  try {
    return JSON.parse(readFileSync(join(home, 'control.json'), 'utf8')) as ControlRecord;
  } catch {
    return undefined;
  }
};

/** `GET /healthz` on a Unix socket: true when something answers. */
const socketAnswers = (socketPath: string): Promise<boolean> =>
  new Promise((resolve) => {
    const probe = request({ socketPath, path: '/healthz' }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    probe.on('error', () => resolve(false));
    probe.end();
  });

const exited = (child: ChildProcess, done: Promise<CliResult>): Promise<CliResult> =>
  done.finally(() => child.kill('SIGKILL'));

describe('the CLI on a home another process holds, and against a server', () => {
  let model: Fixture;
  let workspace: string;
  const homes: string[] = [];
  const children: ChildProcess[] = [];

  const environment = (home: string, extra: Record<string, string> = {}): Record<string, string> =>
    cliEnvironment({
      AUTONOMA_HOME: home,
      AUTONOMA_MODEL: 'openai-compatible:fixture',
      AUTONOMA_MODEL_BASE_URL: `${model.url}/v1`,
      ...extra,
    });
  const newHome = (): string => {
    const home = mkdtempSync(join(tmpdir(), 'autonoma-remote-'));
    homes.push(home);
    return home;
  };
  const cli = (args: string[], env: Record<string, string>): Promise<CliResult> =>
    runCli(args, env, workspace);
  /** Starts a slow `autonoma run` and waits until its control endpoint is recorded. */
  const startHolder = async (env: Record<string, string>, home: string) => {
    const started = startCli(['run', '--json', 'a slow survey'], env, workspace);
    children.push(started.child);
    await waitFor(() => controlOf(home)?.pid === started.child.pid, {
      what: 'the holder’s control endpoint',
    });
    return started;
  };
  const runningIds = async (env: Record<string, string>): Promise<string[]> => {
    const listed = await cli(['runs', 'list', '--json'], env);
    expect(listed.code).toBe(0);
    return (JSON.parse(listed.stdout) as { id: string; status: string }[])
      .filter((run) => run.status === 'running' || run.status === 'queued')
      .map((run) => run.id);
  };

  beforeAll(async () => {
    model = await startOpenAiFixture(script);
    workspace = mkdtempSync(join(tmpdir(), 'autonoma-remote-ws-'));
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await model?.close();
  });

  it(
    'lists, shows and cancels a running run from another process, with the embedded output',
    { timeout: 180_000 },
    async () => {
      const home = newHome();
      const env = environment(home);
      // Output read embedded, to compare with the same commands through the holder's socket.
      const agentsEmbedded = await cli(['agents', 'list'], env);
      expect(agentsEmbedded.code).toBe(0);
      const holder = await startHolder(env, home);
      const record = controlOf(home);
      expect(record).toMatchObject({ kind: 'run', socket: join(home, 'control', 'api.sock') });
      let runId = '';
      await waitFor(
        async () => {
          const listed = await cli(['runs', 'list', '--json'], env);
          const running = (JSON.parse(listed.stdout || '[]') as { id: string; status: string }[]).find(
            (run) => run.status === 'running',
          );
          runId = running?.id ?? '';
          return running !== undefined;
        },
        { what: 'the run to be listed as running', intervalMs: 200 },
      );
      const listed = await cli(['runs', 'list'], env);
      expect(listed).toMatchObject({ code: 0, stderr: '' });
      expect(listed.stdout).toMatch(new RegExp(`^${runId}  running `, 'm'));
      const shown = await cli(['runs', 'show', runId], env);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(new RegExp(`^run ${runId} · running`));
      expect(await cli(['agents', 'list'], env)).toEqual(agentsEmbedded);
      expect((await cli(['memory', 'list'], env)).code).toBe(0);
      const missing = await cli(['runs', 'show', 'run_missing'], env);
      expect(missing).toMatchObject({
        code: 2,
        stdout: '',
        stderr: "autonoma: run 'run_missing' not found\n",
      });

      const cancelled = await cli(['runs', 'cancel', runId, '--reason', 'from another terminal'], env);
      expect(cancelled).toMatchObject({ code: 0, stdout: `run ${runId}: cancelled\n` });
      // The survey never ends by itself: the holder exits only because the cancel reached it.
      const result = await exited(holder.child, holder.done);
      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout)).toMatchObject({
        runId,
        status: 'cancelled',
        reason: 'from another terminal',
      });
      expect(existsSync(join(home, 'control.json'))).toBe(false);
      expect(existsSync(join(home, 'control', 'api.sock'))).toBe(false);
      // The cancel is audited, by the local owner who connected to the socket.
      const audited = await cli(['audit', 'list', '--action', 'run.cancel'], env);
      expect(audited.stdout).toMatch(new RegExp(`local +run\\.cancel +${runId}\n`));
      expect(await cli(['audit', 'verify'], env)).toMatchObject({ code: 0, stdout: 'audit log intact\n' });
      const again = await cli(['runs', 'cancel', runId], env);
      expect(again).toMatchObject({ code: 2, stderr: `autonoma: run ${runId} already ended: cancelled\n` });
    },
  );

  it(
    'approves a pending call from another process while the store is held',
    { timeout: 180_000 },
    async () => {
      const home = newHome();
      const env = environment(home);
      const agentFile = join(home, 'careful.json');
      writeFileSync(
        agentFile,
        JSON.stringify({ name: 'careful', tools: ['fs_write'], approval: { tools: ['fs_write'] } }),
      );
      expect((await cli(['agents', 'create', '--file', agentFile], env)).code).toBe(0);
      const waiting = await cli(['run', '--agent', 'careful', '--json', 'write a greeting'], env);
      expect(waiting.code).toBe(3);
      const { runId } = JSON.parse(waiting.stdout) as { runId: string };
      const log = JSON.parse((await cli(['runs', 'show', runId, '--json'], env)).stdout) as {
        events: { type: string; callId?: string }[];
      };
      const callId = String(log.events.find((event) => event.type === 'approval-request')?.callId);
      const shownEmbedded = await cli(['runs', 'show', runId, '--json'], env);
      const explainedEmbedded = await cli(['explain', runId], env);
      const memoriesEmbedded = await cli(['memory', 'list', '--json'], env);
      expect(explainedEmbedded.code).toBe(0);

      const holder = await startHolder(env, home);
      // The same JSON through the socket as from the embedded store.
      expect(await cli(['runs', 'show', runId, '--json'], env)).toEqual(shownEmbedded);
      expect(await cli(['explain', runId], env)).toEqual(explainedEmbedded);
      expect(await cli(['memory', 'list', '--json'], env)).toEqual(memoriesEmbedded);
      const approved = await cli(['approve', runId, callId], env);
      expect(approved).toMatchObject({ code: 0, stderr: '' });
      expect(approved.stdout).toBe(
        `approved ${callId}; run ${runId} is queued — continue it with 'autonoma resume ${runId}'\n`,
      );
      const twice = await cli(['approve', runId, callId], env);
      expect(twice.stdout).toContain('already resolved');
      const denyUnknown = await cli(['deny', runId, 'call_unknown'], env);
      expect(denyUnknown).toMatchObject({
        code: 2,
        stderr: "autonoma: tool call 'call_unknown' not found\n",
      });
      const resumeWhileHeld = await cli(['resume', runId], env);
      expect(resumeWhileHeld.code).toBe(2);
      expect(resumeWhileHeld.stderr).toMatch(
        /is in use by process \d+.*'autonoma runs', 'approve' and 'deny' work from here/,
      );

      for (const id of await runningIds(env)) if (id !== runId) await cli(['runs', 'cancel', id], env);
      await exited(holder.child, holder.done);
      const resumed = await cli(['resume', runId, '--json'], env);
      expect(JSON.parse(resumed.stdout)).toMatchObject({ status: 'succeeded', answer: 'greeting written' });
      expect(readFileSync(join(workspace, 'greeting.txt'), 'utf8')).toBe('hello');
    },
  );

  it('replaces the stale socket a killed holder left', { timeout: 180_000 }, async () => {
    const home = newHome();
    const env = environment(home);
    const first = await startHolder(env, home);
    const socket = controlOf(home)?.socket ?? '';
    first.child.kill('SIGKILL');
    await first.done;
    // Left behind, and dead.
    expect(existsSync(socket)).toBe(true);
    expect(await socketAnswers(socket)).toBe(false);

    const second = await startHolder(env, home);
    expect(controlOf(home)?.socket).toBe(socket);
    expect(await socketAnswers(socket)).toBe(true);
    const listed = await cli(['runs', 'list'], env);
    expect(listed.code).toBe(0);
    // The killed run is being resumed by the new holder; it cancels from here like any other.
    await waitFor(
      async () => {
        for (const id of await runningIds(env)) await cli(['runs', 'cancel', id], env);
        return second.child.exitCode !== null;
      },
      { what: 'the second holder to end', intervalMs: 500, timeoutMs: 120_000 },
    );
    expect(existsSync(socket)).toBe(false);
  });

  it(
    '`run --server` against `autonoma serve` prints what an embedded run prints',
    { timeout: 180_000 },
    async () => {
      const serverHome = newHome();
      const serverEnv = environment(serverHome);
      const server = startCli(['serve', '--port', '0'], serverEnv, workspace);
      children.push(server.child);
      let url = '';
      const stderr: string[] = [];
      server.child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
      await waitFor(
        () => {
          url = /serving the API at (http:\/\/[^\s]+)/.exec(stderr.join(''))?.[1] ?? '';
          return url !== '';
        },
        { what: 'the server to listen' },
      );
      const embeddedEnv = environment(newHome());
      const normalize = (text: string): string =>
        text
          .replace(/run_[a-z0-9]+/g, 'run_ID')
          .replace(/\d+ ms/g, 'N ms')
          .replace(/"wallMs":\d+(\.\d+)?/g, '"wallMs":N');

      for (const args of [
        ['run', 'say hello'],
        ['run', '--json', 'say hello'],
        ['run', '--agent', 'ghost', 'say hello'],
      ]) {
        const embedded = await cli(args, embeddedEnv);
        const remote = await cli(['--server', url, ...args], serverEnv);
        expect(remote.code, args.join(' ')).toBe(embedded.code);
        expect(normalize(remote.stdout), args.join(' ')).toBe(normalize(embedded.stdout));
        expect(normalize(remote.stderr), args.join(' ')).toBe(normalize(embedded.stderr));
      }
      const remoteRun = await cli(['--server', url, 'run', 'say hello'], serverEnv);
      expect(remoteRun).toMatchObject({ code: 0, stdout: 'hello there\n' });
      expect(remoteRun.stderr).toMatch(
        /^run run_\w+ · say hello\nstarted · agent default · brain openai-compatible:fixture\n/,
      );

      // The server's home is held: a plain CLI there goes through its socket, and prints the same.
      const viaServer = await cli(['--server', url, 'runs', 'list'], serverEnv);
      const viaSocket = await cli(['runs', 'list'], serverEnv);
      expect(viaServer.code).toBe(0);
      expect(viaSocket).toEqual(viaServer);
      const plainRun = await cli(['run', 'say hello'], serverEnv);
      expect(plainRun.code).toBe(2);
      expect(plainRun.stderr).toContain(`it serves the API: run this with --server ${url}`);
      // Another home's CLI has no credential for this server.
      const stranger = await cli(['--server', url, 'runs', 'list'], embeddedEnv);
      expect(stranger).toMatchObject({ code: 2, stderr: 'autonoma: authentication required\n' });

      server.child.kill('SIGTERM');
      const stopped = await server.done;
      expect(stopped.code).toBe(0);
      expect(existsSync(join(serverHome, 'control.json'))).toBe(false);
    },
  );
});
