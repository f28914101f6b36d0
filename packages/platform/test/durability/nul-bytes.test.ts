/**
 * A NUL character anywhere a model or a tool hands the loop a value: in tool-call arguments, in an
 * `http_request` response body, a `code_run` value, `shell_exec` output, an `fs_*` path, streamed text and
 * the final answer. PostgreSQL refuses NUL in text and jsonb; before the fix such a step could never
 * commit, the run stayed queued and every later `autonoma run` re-executed its POST. Each entry point now
 * stores U+FFFD instead, and the run finishes with every effect applied once.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fixture, RecordedRequest } from '../fixtures/openai-server.ts';
import { startOpenAiFixture } from '../fixtures/openai-server.ts';
import { cliEnvironment, runCli } from '../support/cli.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { runIdOf, showRun } from './crash-harness.ts';

const nul = '\u0000';
const replacement = '\uFFFD';

const toolMessages = (request: RecordedRequest): number =>
  ((request.body as { messages?: { role?: string }[] }).messages ?? []).filter(
    (message) => message.role === 'tool',
  ).length;

interface Stores {
  name: string;
  environment: () => Promise<Record<string, string>>;
  cleanup: () => Promise<void>;
}

const pglite: Stores = {
  name: 'pglite',
  environment: async () => ({ AUTONOMA_HOME: mkdtempSync(join(tmpdir(), 'autonoma-nul-')) }),
  cleanup: async () => undefined,
};

function postgres(): Stores {
  let database: { url: string; drop: () => Promise<void> } | undefined;
  return {
    name: 'postgres',
    environment: async () => {
      database = await createTestDatabase('autonoma_nul');
      const env = cliEnvironment({ DATABASE_URL: database.url });
      const migrated = await runCli(['migrate'], env);
      if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);
      return { DATABASE_URL: database.url, AUTONOMA_HOME: mkdtempSync(join(tmpdir(), 'autonoma-nul-')) };
    },
    cleanup: async () => {
      await database?.drop();
    },
  };
}

describe.each([pglite, postgres()])('NUL characters from models and tools [$name]', (stores) => {
  let model: Fixture;
  let server: { url: string; close: () => Promise<void> };
  const deliveries = new Map<string, number>();
  let env: Record<string, string>;
  let workspace: string;

  beforeAll(async () => {
    const http = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (request.method === 'POST') {
          const key = String(request.headers['idempotency-key'] ?? '');
          deliveries.set(key, (deliveries.get(key) ?? 0) + 1);
        }
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end(`body with a NUL${nul}inside`);
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    server = { url: base, close: () => new Promise((resolve) => http.close(() => resolve())) };
    const calls = [
      { name: 'http_request', input: { method: 'POST', url: `${base}/post`, body: `arg${nul}body` } },
      { name: 'http_request', input: { method: 'GET', url: `${base}/get` } },
      { name: 'code_run', input: { code: "'a' + String.fromCharCode(0) + 'b'" } },
      { name: 'shell_exec', input: { argv: ['printf', 'x\\000y'] } },
      { name: 'fs_write', input: { path: `file${nul}name.txt`, content: `content${nul}` } },
      { name: 'fs_read', input: { path: `missing${nul}.txt` } },
    ];
    model = await startOpenAiFixture((request) => {
      const done = toolMessages(request);
      const next = calls[done];
      if (next) return { kind: 'tool-calls', text: `calling${nul}`, calls: [next] };
      return { kind: 'text', text: `finished${nul}with a NUL`, chunks: ['finished', `${nul}with a NUL`] };
    });
    workspace = mkdtempSync(join(tmpdir(), 'autonoma-nul-ws-'));
    env = cliEnvironment({
      ...(await stores.environment()),
      AUTONOMA_MODEL: 'openai-compatible:fixture',
      AUTONOMA_MODEL_BASE_URL: `${model.url}/v1`,
      AUTONOMA_HTTP_ALLOW: '127.0.0.1',
    });
    const agentFile = join(workspace, 'agent.json');
    writeFileSync(
      agentFile,
      JSON.stringify({
        name: 'nul',
        tools: ['http_request', 'code_run', 'shell_exec', 'fs_write', 'fs_read'],
        shellAllow: ['printf'],
        approval: { minRisk: 'none' },
      }),
    );
    const created = await runCli(['agents', 'create', '--file', agentFile], env);
    expect(created.code, created.stderr).toBe(0);
  });
  afterAll(async () => {
    await model.close();
    await server.close();
    await stores.cleanup();
  });

  it('stores U+FFFD for every NUL, finishes the run and applies the POST once', async () => {
    const result = await runCli(['run', '--agent', 'nul', '--workspace', workspace, 'use every tool'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/unsupported Unicode|invalid byte sequence/);
    expect(result.stdout).toContain(`finished${replacement}with a NUL`);
    const runId = runIdOf(result.stderr);
    expect(runId).toBeDefined();
    const { run, events } = await showRun(runId ?? '', env);
    expect(run.status).toBe('succeeded');
    const text = JSON.stringify(events);
    expect(text).not.toContain('\\u0000');
    const ends = events.filter((event) => event.type === 'tool-call-end');
    expect(ends).toHaveLength(6);
    // The POST's arguments, the GET's body, the code value and the shell output each carry U+FFFD.
    const starts = events.filter((event) => event.type === 'tool-call-start');
    expect(JSON.stringify(starts[0])).toContain(`arg${replacement}body`);
    expect(JSON.stringify(ends[1])).toContain(`NUL${replacement}inside`);
    expect(JSON.stringify(ends[2])).toContain(`a${replacement}b`);
    expect(JSON.stringify(ends[3])).toContain(`x${replacement}y`);
    expect(ends.slice(0, 5).every((event) => event.type === 'tool-call-end' && event.ok)).toBe(true);
    expect([...deliveries.values()]).toEqual([1]);
    // A later command resumes nothing and re-sends nothing.
    const listed = await runCli(['runs', 'list', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const again = await runCli(
      ['run', '--agent', 'nul', '--workspace', workspace, '--max-steps', '1', 'once more'],
      env,
    );
    expect(again.stderr).not.toContain(`resuming interrupted run ${runId}`);
    expect(deliveries.get([...deliveries.keys()][0] ?? '')).toBe(1);
  });

  it('refuses a goal containing a NUL with one line, storing nothing', async () => {
    // A NUL cannot be passed on a command line (execve cuts it): a spec file is how it arrives.
    const specFile = join(workspace, 'spec.json');
    writeFileSync(specFile, JSON.stringify({ goal: `a goal${nul}`, facts: ['done'] }));
    const viaSpec = await runCli(['run', '--spec', specFile], env);
    expect(viaSpec.code).not.toBe(0);
    expect(viaSpec.stderr.trim().split('\n')).toHaveLength(1);
    expect(viaSpec.stderr).toMatch(/NUL/);
  });
});
