import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentSpec } from '@autonoma/core';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { apiLoggerOptions, installHttpObservability } from '../../src/observability/http-observability.ts';
import { createObservability } from '../../src/observability/observability.ts';
import { createDatabase } from '../../src/store/database.ts';
import { queryRows } from '../../src/store/driver.ts';
import { sql } from '../../src/store/sql.ts';
import type { Fixture, FixtureReply, RecordedRequest } from '../fixtures/openai-server.ts';
import { startOpenAiFixture } from '../fixtures/openai-server.ts';
import type { CliResult } from '../support/cli.ts';
import { cliEnvironment, runCli } from '../support/cli.ts';

const serpKey = 'serp-canary-7f3a9c1e';
const modelKey = 'model-canary-2b8d4e6f';

/** The calls the scripted model makes, one per step: every built-in tool once. */
const script = (echoUrl: string): { name: string; input: unknown }[] => [
  { name: 'fs_write', input: { path: 'notes/a.txt', content: 'alpha' } },
  { name: 'fs_read', input: { path: 'notes/a.txt' } },
  { name: 'fs_list', input: { path: 'notes' } },
  { name: 'http_request', input: { method: 'POST', url: `${echoUrl}/echo`, body: 'payload' } },
  { name: 'shell_exec', input: { argv: ['echo', 'hi; rm -rf / $(whoami) `id`'] } },
  { name: 'code_run', input: { code: '[1, 2, 3].map((n) => n * 2).reduce((a, b) => a + b, 0)' } },
  { name: 'web_search', input: { query: 'durable agents' } },
  { name: 'llm_generate', input: { prompt: 'say something short' } },
  { name: 'memory_store', input: { text: 'the build server is called hermes', importance: 0.7 } },
  { name: 'memory_recall', input: { query: 'what is the build server called?' } },
];

const toolResults = (request: RecordedRequest): number =>
  ((request.body as { messages?: { role?: string }[] }).messages ?? []).filter(
    (message) => message.role === 'tool',
  ).length;

describe('every built-in in a real run, and no secret in the clear [pglite]', () => {
  let model: Fixture;
  let helper: { url: string; close: () => Promise<void>; seenKeys: string[] };
  let home: string;
  let workspace: string;
  let result: CliResult;

  beforeAll(async () => {
    const seenKeys: string[] = [];
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      request.resume();
      request.on('end', () => {
        if (url.pathname === '/search.json') {
          seenKeys.push(url.searchParams.get('api_key') ?? '');
          // A careless provider that echoes the key back: it must not reach the log or the store.
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(
            JSON.stringify({
              organic_results: [
                {
                  title: 'Durable agents',
                  link: 'https://example.org/d',
                  snippet: `served for key ${url.searchParams.get('api_key')}`,
                },
              ],
            }),
          );
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            method: request.method,
            idempotencyKey: request.headers['idempotency-key'] ?? null,
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    helper = { url: base, seenKeys, close: () => new Promise((resolve) => server.close(() => resolve())) };
    const calls = script(base);
    model = await startOpenAiFixture((request): FixtureReply => {
      const body = request.body as { tools?: unknown[] };
      if (!body.tools || body.tools.length === 0) return { kind: 'text', text: 'generated: hello there' };
      const done = toolResults(request);
      const next =
        done < calls.length
          ? calls[done]
          : done === calls.length
            ? { name: 'analyze_source_tree', input: { path: '.' } }
            : undefined;
      return next ? { kind: 'tool-calls', calls: [next] } : { kind: 'text', text: 'all tools ran' };
    });
    home = mkdtempSync(join(tmpdir(), 'autonoma-canary-'));
    workspace = mkdtempSync(join(tmpdir(), 'autonoma-canary-ws-'));
    const env = cliEnvironment({
      AUTONOMA_HOME: home,
      AUTONOMA_MODEL: 'openai-compatible:fixture',
      AUTONOMA_MODEL_BASE_URL: `${model.url}/v1`,
      AUTONOMA_MODEL_API_KEY: modelKey,
      SERPAPI_API_KEY: serpKey,
      SERPAPI_BASE_URL: base,
      AUTONOMA_HTTP_ALLOW: '127.0.0.1',
    });
    const agentFile = join(home, 'toolbox.json');
    writeFileSync(
      agentFile,
      JSON.stringify({
        name: 'toolbox',
        tools: calls.map((call) => call.name),
        shellAllow: ['echo'],
        approval: { minRisk: 'none' },
      }),
    );
    expect((await runCli(['agents', 'create', '--file', agentFile], env)).code).toBe(0);
    result = await runCli(
      ['run', '--agent', 'toolbox', '--workspace', workspace, 'exercise every tool'],
      env,
    );
    const shown = await runCli(['runs', 'list', '--json'], env);
    result = { ...result, stdout: `${result.stdout}\n${shown.stdout}` };
  });
  afterAll(async () => {
    await model.close();
    await helper.close();
  });

  it('runs every built-in successfully', async () => {
    expect(result.code).toBe(0);
    const database = await createDatabase({ kind: 'pglite', dir: join(home, 'data') });
    try {
      const [run] = await database.stores.runs.list({ orgId: 'org_default', limit: 1 });
      const events = await database.stores.runs.events('org_default', String(run?.id));
      const ends = events.flatMap((event) =>
        event.type === 'tool-call-end' && event.tool !== 'analyze_source_tree' ? [event] : [],
      );
      expect(ends.map((event) => [event.tool, event.ok, event.ok ? '' : event.error?.message])).toEqual(
        script('').map((call) => [call.name, true, '']),
      );
      const byTool = new Map(ends.map((event) => [event.tool, event.result as Record<string, unknown>]));
      // The scripted model then forces a tool outside the agent's allowlist: refused, told, audited.
      const refused = events.find(
        (event) => event.type === 'tool-call-end' && event.tool === 'analyze_source_tree',
      );
      expect(refused).toMatchObject({ ok: false, error: { code: 'tool_not_allowed' } });
      const audit = await database.stores.audit.list({ orgId: 'org_default', action: 'tool.refused' });
      expect(audit.map((entry) => [entry.target, entry.detail['tool']])).toEqual([
        [`${String(run?.id)}:11:0`, 'analyze_source_tree'],
      ]);
      expect(await database.stores.audit.verify('org_default')).toBeNull();
      expect(readFileSync(join(workspace, 'notes/a.txt'), 'utf8')).toBe('alpha');
      expect(JSON.stringify(byTool.get('fs_read'))).toContain('alpha');
      expect(byTool.get('shell_exec')).toMatchObject({ exitCode: 0 });
      expect(String(byTool.get('shell_exec')?.['stdout'])).toBe('hi; rm -rf / $(whoami) `id`\n');
      expect(JSON.stringify(byTool.get('code_run'))).toContain('12');
      expect(JSON.stringify(byTool.get('http_request'))).toContain(`${String(run?.id)}:4:0`);
      expect(JSON.stringify(byTool.get('llm_generate'))).toContain('generated: hello there');
      expect(JSON.stringify(byTool.get('memory_recall'))).toContain('hermes');
      expect(helper.seenKeys).toEqual([serpKey]);
    } finally {
      await database.close();
    }
  });

  it('the canary secrets appear nowhere: output, events, journal, memories, audit', async () => {
    for (const secret of [serpKey, modelKey]) {
      expect(result.stdout).not.toContain(secret);
      expect(result.stderr).not.toContain(secret);
    }
    const database = await createDatabase({ kind: 'pglite', dir: join(home, 'data') });
    try {
      const tables = await queryRows(
        database.executor,
        sql`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
      );
      let rows = 0;
      for (const table of tables) {
        const dump = await queryRows(
          database.executor,
          sql.raw(`SELECT t::text AS row FROM "${String(table['table_name'])}" t`),
        );
        rows += dump.length;
        for (const row of dump) {
          expect(String(row['row'])).not.toContain(serpKey);
          expect(String(row['row'])).not.toContain(modelKey);
        }
      }
      expect(rows).toBeGreaterThan(20);
      const events = await queryRows(database.executor, sql`SELECT payload::text AS payload FROM run_events`);
      expect(events.some((event) => String(event['payload']).includes('[REDACTED]'))).toBe(true);
    } finally {
      await database.close();
    }
  });
});

describe('…nor in the log lines of a server logging at trace level [pglite]', () => {
  it('writes requests, runs and errors carrying the secrets, without them, as JSON and pretty', async () => {
    const echo = createServer((request, response) => {
      const key = new URL(request.url ?? '/', 'http://x').searchParams.get('api_key');
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json' });
      // A careless provider echoing the key.
      response.end(
        JSON.stringify({ organic_results: [{ title: 't', link: 'https://e.org', snippet: `key ${key}` }] }),
      );
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    const model = await startOpenAiFixture((request): FixtureReply =>
      toolResults(request) === 0
        ? { kind: 'tool-calls', calls: [{ name: 'web_search', input: { query: `find ${serpKey}` } }] }
        : { kind: 'text', text: 'found it' },
    );
    try {
      for (const format of ['json', 'pretty']) {
        const cwd = mkdtempSync(join(tmpdir(), 'autonoma-canary-logs-'));
        const { config } = loadConfig({
          env: {
            AUTONOMA_HOME: join(cwd, 'home'),
            AUTONOMA_MODEL: 'openai-compatible:fixture',
            AUTONOMA_MODEL_BASE_URL: `${model.url}/v1`,
            AUTONOMA_MODEL_API_KEY: modelKey,
            SERPAPI_API_KEY: serpKey,
            SERPAPI_BASE_URL: base,
            AUTONOMA_HTTP_ALLOW: '127.0.0.1',
            LOG_LEVEL: 'trace',
            AUTONOMA_LOG_FORMAT: format,
          },
          cwd,
        });
        const lines: string[] = [];
        const observability = await createObservability(config, {
          logs: true,
          logDestination: { write: (line) => void lines.push(line) },
        });
        const logger = observability.logger;
        if (!logger) throw new Error('logs were asked for');
        const app = await createApp(config, { cwd, inMemory: true, observability });
        const api = Fastify(apiLoggerOptions(logger));
        try {
          await app.services.agents.ensureDefault(app.localScope);
          await app.services.agents.put(
            app.localScope,
            AgentSpec.parse({ name: 'searcher', tools: ['web_search'] }),
          );
          installHttpObservability(api, {});
          api.post('/v1/runs', async (request) => {
            request.log.info({ headers: request.headers, query: request.query }, 'creating a run');
            const run = await app.services.runs.start(app.localScope, { goal: 'search', agent: 'searcher' });
            return (await app.services.runs.advanceTree(app.localScope, run.id)).run;
          });
          api.get('/v1/fail', async () => {
            throw new Error(`the provider refused the key ${modelKey}`);
          });
          const created = await api.inject({
            method: 'POST',
            url: `/v1/runs?api_key=${serpKey}`,
            headers: { authorization: `Bearer ${modelKey}`, 'x-api-key': serpKey },
          });
          expect(created.json<{ status: string }>().status).toBe('succeeded');
          expect((await api.inject({ method: 'GET', url: '/v1/fail' })).statusCode).toBe(500);
        } finally {
          await api.close();
          await app.close();
        }
        const text = lines.join('');
        // What was logged: the request (with its id), the run (with its id), the failure.
        expect(text, format).toContain('creating a run');
        expect(text, format).toContain('requestId');
        expect(text, format).toContain('run ended');
        expect(text, format).toContain('the provider refused the key [REDACTED]');
        for (const secret of [serpKey, modelKey]) expect(text, format).not.toContain(secret);
      }
    } finally {
      await model.close();
      await new Promise<void>((resolve) => echo.close(() => resolve()));
    }
  });
});
