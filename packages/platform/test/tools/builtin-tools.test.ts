import { describe, expect, it } from 'vitest';
import { describeTools } from '@autonoma/core';
import { createBuiltinTools } from '../../src/tools/builtins/index.ts';
import { builtin, callTool, makeContext, toolFailure } from './tool-harness.ts';

const context = makeContext('/tmp');

describe('createBuiltinTools', () => {
  it('declares the contract names with their risk and idempotency', () => {
    const declared = createBuiltinTools({ httpAllow: [] }).map(({ name, risk, idempotent }) => [
      name,
      risk,
      idempotent,
    ]);
    expect(declared).toEqual([
      ['fs_read', 'low', true],
      ['fs_write', 'medium', true],
      ['fs_list', 'low', true],
      ['http_request', 'medium', true],
      ['shell_exec', 'high', false],
      ['code_run', 'medium', true],
      ['web_search', 'low', true],
      ['llm_generate', 'low', true],
      ['memory_recall', 'low', true],
      ['memory_store', 'low', true],
    ]);
    expect(() => describeTools(createBuiltinTools({ httpAllow: [] }))).not.toThrow();
  });

  it('rejects a malformed allowlist entry by name', () => {
    expect(() => createBuiltinTools({ httpAllow: ['not a host'] })).toThrow(/not a host/);
  });
});

describe('input schemas', () => {
  it.each([
    ['fs_read', { path: 42 }, 'path must be a string'],
    ['fs_read', { path: 'a', mode: 'x' }, 'mode'],
    ['fs_write', { path: 'a' }, 'content'],
    ['http_request', { method: 'GET', url: 'https://example.org', timeout: 5 }, 'timeout'],
    ['http_request', { method: 'FETCH', url: 'https://example.org' }, 'method'],
    ['http_request', { method: 'GET', url: 'https://example.org', headers: { a: 1 } }, 'headers'],
    ['shell_exec', { argv: 'ls -la' }, 'argv'],
    ['shell_exec', { argv: [] }, 'argv'],
    ['code_run', { code: 1 }, 'code must be a string'],
    ['memory_recall', { query: 'q', limit: 0 }, 'limit'],
    ['memory_store', { text: 't', importance: 2 }, 'importance'],
    ['llm_generate', { prompt: 'p', model: 'x' }, 'model'],
  ])('%s rejects %j naming the field', async (name, raw, field) => {
    const failure = await toolFailure(builtin(name), raw, context);
    expect(failure.code).toBe('invalid_input');
    expect(failure.message).toContain(field);
  });
});

describe('llm and memory tools', () => {
  it('fail clearly when not configured', async () => {
    expect((await toolFailure(builtin('llm_generate'), { prompt: 'hi' }, context)).message).toContain(
      'AUTONOMA_MODEL',
    );
    expect((await toolFailure(builtin('memory_recall'), { query: 'q' }, context)).code).toBe(
      'not_configured',
    );
    expect((await toolFailure(builtin('memory_store'), { text: 't' }, context)).code).toBe('not_configured');
  });

  it('delegate to the injected ports with defaults', async () => {
    const stored: Array<[string, number, string]> = [];
    const options = {
      llm: { generate: async (prompt: string) => ({ text: `echo: ${prompt}`, costUsd: 0.001 }) },
      memory: {
        recall: async (query: string, limit: number) => [{ query, limit }],
        store: async (text: string, importance: number, ctx: { callId: string }) => {
          stored.push([text, importance, ctx.callId]);
          return { id: 'mem_1' };
        },
      },
    };
    expect(await callTool(builtin('llm_generate', options), { prompt: 'hi' }, context)).toEqual({
      text: 'echo: hi',
      costUsd: 0.001,
    });
    expect(await callTool(builtin('memory_recall', options), { query: 'q' }, context)).toEqual({
      memories: [{ query: 'q', limit: 5 }],
    });
    expect(await callTool(builtin('memory_store', options), { text: 't' }, context)).toEqual({ id: 'mem_1' });
    expect(stored).toEqual([['t', 0.5, context.callId]]);
  });
});
