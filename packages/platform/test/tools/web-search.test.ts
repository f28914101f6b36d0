import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from './loopback-server.ts';
import { builtin, callTool, makeContext, toolFailure } from './tool-harness.ts';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const apiKey = 'sk-serp-very-secret';
const context = makeContext('/tmp');

async function serpApi(status: number, payload: unknown) {
  const server = await startServer((_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
  });
  closers.push(server.close);
  return server;
}

describe('web_search', () => {
  it('queries SerpAPI and maps organic results', async () => {
    const server = await serpApi(200, {
      search_metadata: { status: 'Success' },
      organic_results: [
        { position: 1, title: 'Autonoma', link: 'https://example.org/a', snippet: 'Agents.' },
        { position: 2, title: 'Other', link: 'https://example.org/b' },
      ],
    });
    const tool = builtin('web_search', {
      serpApiKey: apiKey,
      serpApiBaseUrl: `http://127.0.0.1:${server.port}`,
      httpAllow: [`127.0.0.1:${server.port}`],
    });
    const result = await callTool(tool, { query: 'autonomous agents & tools' }, context);
    expect(result).toEqual({
      results: [
        { title: 'Autonoma', url: 'https://example.org/a', snippet: 'Agents.' },
        { title: 'Other', url: 'https://example.org/b', snippet: '' },
      ],
    });
    const url = new URL(server.seen[0]?.url ?? '', 'http://x');
    expect(url.pathname).toBe('/search.json');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      engine: 'google',
      q: 'autonomous agents & tools',
      api_key: apiKey,
    });
  });

  it('never shows the API key in errors', async () => {
    const server = await serpApi(401, { error: `Invalid API key ${apiKey}` });
    const tool = builtin('web_search', {
      serpApiKey: apiKey,
      serpApiBaseUrl: `http://127.0.0.1:${server.port}`,
      httpAllow: ['127.0.0.1'],
    });
    const failure = await toolFailure(tool, { query: 'x' }, context);
    expect(failure.code).toBe('search_failed');
    expect(failure.message).toContain('401');
    expect(failure.message).not.toContain(apiKey);
  });

  it('goes through the SSRF guard', async () => {
    const server = await serpApi(200, { organic_results: [] });
    const tool = builtin('web_search', {
      serpApiKey: apiKey,
      serpApiBaseUrl: `http://127.0.0.1:${server.port}`,
    });
    const failure = await toolFailure(tool, { query: 'x' }, context);
    expect(failure.code).toBe('ssrf_blocked');
    expect(failure.message).not.toContain(apiKey);
    expect(server.seen).toHaveLength(0);
  });

  it('says what to configure when there is no key', async () => {
    const failure = await toolFailure(builtin('web_search'), { query: 'x' }, context);
    expect(failure).toMatchObject({ code: 'not_configured', message: 'web_search needs SERPAPI_API_KEY' });
  });
});
