/**
 * The canary test, extended to what leaves the server (issue 11): with a provider key and a search
 * key planted, users with passwords, sessions and API keys, and a run whose search provider echoes
 * its key back, no HTTP body of any GET route the OpenAPI document lists (filled with real ids), no
 * SSE event and no WebSocket frame contains a password, a password hash, a token or key hash, another
 * session's refresh token, an API key after the answer that created it, the JWT secret, or a provider
 * key.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretHash } from '../../src/security/credentials.ts';
import { createSseParser } from '../../src/cli/remote/sse-parser.ts';
import type { Fixture, FixtureReply, RecordedRequest } from '../fixtures/openai-server.ts';
import { startOpenAiFixture } from '../fixtures/openai-server.ts';
import { fillPath, operationsOf } from './openapi-walk.ts';
import type { SecureHarness } from './security-harness.ts';
import { startSecureApi } from './security-harness.ts';

const modelKey = 'model-canary-5c1e9a7d';
const serpKey = 'serp-canary-3d8b2f4a';
const jwtSecret = 'jwt-canary-'.padEnd(48, 'q');

const toolResults = (request: RecordedRequest): number =>
  ((request.body as { messages?: { role?: string }[] }).messages ?? []).filter(
    (message) => message.role === 'tool',
  ).length;

describe('no secret in any HTTP body, SSE event or WebSocket frame [postgres]', () => {
  let harness: SecureHarness;
  let model: Fixture;
  let provider: { url: string; close(): Promise<void> };
  let base: string;
  /** Everything the server sent, labelled. */
  const seen: { where: string; text: string }[] = [];
  let secrets: string[];

  beforeAll(async () => {
    const server = createServer((request, response) => {
      const key = new URL(request.url ?? '/', 'http://x').searchParams.get('api_key');
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json' });
      // A careless provider that echoes the key back.
      response.end(
        JSON.stringify({ organic_results: [{ title: 't', link: 'https://e.org', snippet: `key ${key}` }] }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    provider = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
    model = await startOpenAiFixture((request): FixtureReply =>
      toolResults(request) === 0
        ? { kind: 'tool-calls', delayMs: 300, calls: [{ name: 'web_search', input: { query: 'canaries' } }] }
        : { kind: 'text', text: 'searched', delayMs: 300 },
    );
    harness = await startSecureApi({
      store: 'postgres',
      env: {
        AUTONOMA_MODEL: 'openai-compatible:fixture',
        AUTONOMA_MODEL_BASE_URL: `${model.url}/v1`,
        AUTONOMA_MODEL_API_KEY: modelKey,
        SERPAPI_API_KEY: serpKey,
        SERPAPI_BASE_URL: provider.url,
        AUTONOMA_HTTP_ALLOW: '127.0.0.1',
        AUTONOMA_JWT_SECRET: jwtSecret,
      },
    });
    base = await harness.listen();
    const { people, keys } = harness;
    secrets = [
      modelKey,
      serpKey,
      jwtSecret,
      '$argon2',
      ...Object.values(people).flatMap((person) => [
        person.password,
        person.tokens.refreshToken,
        secretHash(person.tokens.refreshToken),
      ]),
      ...Object.values(keys).flatMap((key) => [key, secretHash(key)]),
    ];
  });
  afterAll(async () => {
    await harness?.close();
    await model?.close();
    await provider?.close();
  });

  it('walks every GET route with real ids, and streams a run over SSE and WebSocket', async () => {
    const owner = harness.as('owner');
    const post = async (url: string, payload: unknown) => {
      const response = await fetch(`${base}${url}`, {
        method: 'POST',
        headers: { ...owner, 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
      const text = await response.text();
      seen.push({ where: `POST ${url}`, text });
      expect(response.status, `${url} ${text}`).toBeLessThan(300);
      return JSON.parse(text) as Record<string, unknown>;
    };
    await post('/v1/agents', { name: 'searcher', tools: ['web_search'] });
    const run = await post('/v1/runs', { goal: 'search for canaries', agent: 'searcher' });
    const runId = String(run['id']);
    const key = await post('/v1/api-keys', { name: 'walker', role: 'viewer' });
    // The one answer that shows a key: it is the caller's to keep, and then a secret like the others.
    secrets.push(String(key['key']), secretHash(String(key['key'])));
    seen.pop();
    const user = await post('/v1/users', { email: 'walker@example.org', password: 'walker-secret-password' });
    secrets.push('walker-secret-password');
    const schedule = await post('/v1/schedules', { cron: '0 3 * * *', goal: 'nightly', agent: 'searcher' });
    const conversation = await post('/v1/conversations', { agent: 'searcher' });

    // Subscribers attached before the run advances get the live events too.
    const sse = (async () => {
      const response = await fetch(`${base}/v1/runs/${runId}/events`, { headers: owner });
      const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      const parse = createSseParser(() => undefined);
      for (;;) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) break;
        text += chunk.value;
        parse(chunk.value);
      }
      seen.push({ where: 'SSE', text });
      return text;
    })();
    const ws = new Promise<string[]>((resolve, reject) => {
      const frames: string[] = [];
      const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/v1/runs/${runId}/ws`, {
        headers: owner,
      } as never);
      socket.addEventListener('message', (message) => frames.push(String(message.data)));
      socket.addEventListener('close', () => resolve(frames));
      socket.addEventListener('error', () => reject(new Error('websocket error')));
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const scope = { orgId: harness.orgs.alpha, actor: 'test' };
    const advanced = await harness.app.services.runs.advanceTree(scope, runId);
    expect(advanced.run.status).toBe('succeeded');
    const sseText = await sse;
    const frames = await ws;
    seen.push({ where: 'WebSocket', text: frames.join('\n') });
    expect(sseText).toContain('"type":"tool-call-end"');
    expect(frames.some((frame) => frame.includes('"tool":"web_search"'))).toBe(true);

    const jobs = (await (await fetch(`${base}/v1/jobs`, { headers: owner })).json()) as {
      items: { id: string }[];
    };
    const memories = (await (await fetch(`${base}/v1/memories`, { headers: owner })).json()) as {
      items: { id: string }[];
    };
    const calls = (await harness.app.services.runs.events(scope, runId)).flatMap((event) =>
      event.type === 'tool-call-start' ? [event.callId] : [],
    );
    const ids: Record<string, string> = {
      id: runId,
      name: 'searcher',
      callId: calls[0] ?? 'none',
    };
    const idFor = (name: string, path: string): string => {
      if (path.startsWith('/v1/users/')) return String(user['id']);
      if (path.startsWith('/v1/api-keys/')) return String(key['id']);
      if (path.startsWith('/v1/schedules/')) return String(schedule['id']);
      if (path.startsWith('/v1/conversations/')) return String(conversation['id']);
      if (path.startsWith('/v1/jobs/')) return jobs.items[0]?.id ?? 'none';
      if (path.startsWith('/v1/memories/')) return memories.items[0]?.id ?? 'none';
      return ids[name] ?? 'none';
    };
    let walked = 0;
    for (const operation of await operationsOf(harness.api)) {
      if (operation.method !== 'GET' || operation.path.endsWith('/ws')) continue;
      const query = operation.query.includes('q') ? '?q=canaries' : '';
      const url = `${fillPath(operation.path, idFor)}${query}`;
      for (const accept of ['application/json', '*/*']) {
        const response = await fetch(`${base}${url}`, { headers: { ...owner, accept } });
        const text = await response.text();
        seen.push({ where: `GET ${url} (${accept})`, text });
        if (operation.path.includes('{')) expect(response.status, `${url} ${text}`).toBe(200);
      }
      walked += 1;
    }
    expect(walked).toBeGreaterThanOrEqual(25);
  });

  it('none of what the server sent holds a secret', () => {
    expect(seen.length).toBeGreaterThan(50);
    for (const { where, text } of seen)
      for (const secret of secrets) expect(text.includes(secret), `${where} holds a secret`).toBe(false);
    // The echoed key was there to be found, and was redacted.
    expect(seen.some(({ text }) => text.includes('[REDACTED]'))).toBe(true);
  });
});
