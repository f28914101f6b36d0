import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describeTool } from '@autonoma/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { McpToolHost } from '../../../src/tools/mcp/index.ts';
import { callTool, makeContext, temporaryDirectory, toolFailure } from '../tool-harness.ts';
import { connect, fixtureConfig, fixturePath, processesTagged, toolOf } from './mcp-harness.ts';

const context = makeContext('/tmp');

describe('a stdio MCP server', () => {
  let host: McpToolHost;

  beforeAll(async () => {
    host = await connect([fixtureConfig('files', { env: { FIXTURE_TOKEN: 'configured' } })]);
  });
  afterAll(async () => {
    await host.close();
  });

  it('lists its tools as <server>__<tool> with their schemas and declarations', () => {
    expect(host.status()).toEqual([{ server: 'files', state: 'ready', tools: 12 }]);
    const names = host.list().map((tool) => tool.name);
    expect(names).toContain('files__echo');
    expect(names).toContain('files__weird_name_with_spaces');
    const echo = describeTool(toolOf(host, 'files__echo'));
    expect(echo.description).toContain('Echoes its text.');
    expect(echo.inputSchema).toMatchObject({
      type: 'object',
      properties: { text: { type: 'string' } },
      required: ['text'],
    });
    expect(echo).toMatchObject({ risk: 'low', idempotent: true });
    expect(toolOf(host, 'files__add')).toMatchObject({ risk: 'medium', idempotent: false });
    expect(toolOf(host, 'files__fail')).toMatchObject({ risk: 'high', idempotent: false });
  });

  it('calls tools and returns their content and structured content', async () => {
    await expect(callTool(toolOf(host, 'files__echo'), { text: 'hello' }, context)).resolves.toEqual({
      content: [{ type: 'text', text: 'hello' }],
    });
    await expect(callTool(toolOf(host, 'files__add'), { a: 2, b: 3 }, context)).resolves.toEqual({
      content: [{ type: 'text', text: '5' }],
      structuredContent: { sum: 5 },
    });
  });

  it('rejects input that breaks the schema before calling the server', async () => {
    const add = toolOf(host, 'files__add');
    expect((await toolFailure(add, { a: 'two', b: 3 }, context)).code).toBe('invalid_input');
    expect((await toolFailure(add, { a: 2 }, context)).code).toBe('invalid_input');
    expect((await toolFailure(add, 'not an object', context)).code).toBe('invalid_input');
    // The fallback converter still checks required properties when zod cannot read the schema.
    const weird = toolOf(host, 'files__weird_name_with_spaces');
    expect((await toolFailure(weird, {}, context)).code).toBe('invalid_input');
    await expect(callTool(weird, { when: 'now' }, context)).resolves.toBeDefined();
  });

  it('turns a tool error and malformed results into error codes', async () => {
    const failed = await toolFailure(toolOf(host, 'files__fail'), {}, context);
    expect(failed).toMatchObject({ code: 'mcp_tool_error', message: 'the disk is full' });
    expect((await toolFailure(toolOf(host, 'files__bad'), {}, context)).code).toBe('mcp_malformed');
    expect((await toolFailure(toolOf(host, 'files__bad_structured'), {}, context)).code).toBe(
      'mcp_malformed',
    );
    // The server is still usable afterwards.
    await expect(
      callTool(toolOf(host, 'files__echo'), { text: 'still here' }, context),
    ).resolves.toBeDefined();
  });

  it('passes only the configured environment and PATH', async () => {
    const result = (await callTool(toolOf(host, 'files__environment'), {}, context)) as {
      content: { text: string }[];
    };
    const names = JSON.parse(result.content[0]?.text ?? '[]') as string[];
    // Node itself may add a few variables of its own; nothing from the platform's environment may appear.
    expect(names).toContain('FIXTURE_TOKEN');
    expect(names).toContain('PATH');
    expect(names).not.toContain('HOME');
    expect(names).not.toContain('OTEL_SDK_DISABLED');
  });

  it('reports a cancelled call as cancelled', async () => {
    const controller = new AbortController();
    const pending = toolFailure(toolOf(host, 'files__hang'), {}, { ...context, signal: controller.signal });
    controller.abort();
    expect((await pending).code).toBe('cancelled');
  });
});

describe('a stdio MCP server that misbehaves', () => {
  it('fails a hanging call with mcp_timeout at the timeout', async () => {
    const host = await connect([fixtureConfig('slow', { timeoutMs: 300 })]);
    try {
      const failure = await toolFailure(toolOf(host, 'slow__hang'), {}, context);
      expect(failure.code).toBe('mcp_timeout');
      expect(failure.message).toContain('300 ms');
    } finally {
      await host.close();
    }
  });

  it('fails a call with mcp_server_crashed when the server dies, then restarts it once', async () => {
    // A long timeout: the crash must be reported without waiting for it.
    const host = await connect([fixtureConfig('flaky', { timeoutMs: 60_000 })]);
    try {
      const failure = await toolFailure(toolOf(host, 'flaky__crash'), {}, context);
      expect(failure.code).toBe('mcp_server_crashed');
      expect(failure.message).toContain('exited with code 1');
      expect(host.status()[0]).toMatchObject({ server: 'flaky', state: 'failed' });
      expect(host.status()[0]?.error).toContain("mcp server 'flaky' exited with code 1");
      // Two calls at once share the one restart.
      const echo = toolOf(host, 'flaky__echo');
      await expect(
        Promise.all([callTool(echo, { text: 'back' }, context), callTool(echo, { text: 'too' }, context)]),
      ).resolves.toEqual([
        { content: [{ type: 'text', text: 'back' }] },
        { content: [{ type: 'text', text: 'too' }] },
      ]);
      expect(host.status()[0]).toEqual({ server: 'flaky', state: 'ready', tools: 12 });
    } finally {
      await host.close();
    }
  });

  it('stays failed when the restart after a crash fails, without trying again', async () => {
    const directory = await temporaryDirectory('mcp-marker-');
    const marker = join(directory.path, 'crashed');
    const host = await connect([fixtureConfig('fragile', { args: [fixturePath, '--crash-marker', marker] })]);
    try {
      expect((await toolFailure(toolOf(host, 'fragile__crash'), {}, context)).code).toBe(
        'mcp_server_crashed',
      );
      const restart = await toolFailure(toolOf(host, 'fragile__echo'), { text: 'x' }, context);
      expect(restart).toMatchObject({
        code: 'mcp_server_unavailable',
        message: "mcp server 'fragile' failed to restart: exited with code 3 before it finished starting",
      });
      await rm(marker);
      // No second restart, even though the server could start now.
      expect((await toolFailure(toolOf(host, 'fragile__echo'), { text: 'x' }, context)).code).toBe(
        'mcp_server_unavailable',
      );
      expect(host.status()[0]).toMatchObject({ state: 'failed', error: restart.message });
    } finally {
      await host.close();
      await directory.remove();
    }
  });

  it.each([
    ['in bubblewrap', {}],
    ['unconfined, when allowed', { bwrapPath: '/nonexistent/bwrap', allowUnsandboxed: true }],
  ])('ends the server and what it started on close (%s)', async (_mode, options) => {
    const tag = `autonoma-test-${process.pid}-${Date.now()}-${Math.random()}`;
    const host = await connect([fixtureConfig('closing', { args: [fixturePath, '--tag', tag] })], options);
    await callTool(toolOf(host, 'closing__spawn_child'), { tag }, context);
    // The server (and bubblewrap around it) and the child it started.
    expect(processesTagged(tag).length).toBeGreaterThanOrEqual(2);
    await host.close();
    expect(processesTagged(tag)).toEqual([]);
    expect(host.status()).toEqual([
      { server: 'closing', state: 'failed', error: "mcp server 'closing' is closed", tools: 12 },
    ]);
    expect((await toolFailure(toolOf(host, 'closing__echo'), { text: 'x' }, context)).code).toBe(
      'mcp_server_unavailable',
    );
  });
});
