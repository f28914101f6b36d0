import { describe, expect, it } from 'vitest';
import { builtin, callTool, makeContext } from './tool-harness.ts';

interface CodeResult {
  value: unknown;
  logs: string[];
  error?: { name: string; message: string };
}

const run = async (code: string, limits = {}) =>
  (await callTool(builtin('code_run', { code: limits }), { code }, makeContext('/tmp'))) as CodeResult;

describe('code_run', () => {
  it('returns the last expression as JSON and captures console output', async () => {
    const result = await run(
      'console.log("sum", 1 + 2, { a: [1] }); ({ total: [1, 2, 3].reduce((a, b) => a + b) })',
    );
    expect(result).toEqual({ value: { total: 6 }, logs: ['sum 3 {"a":[1]}'], logsTruncated: false });
  });

  it('accepts a top-level return, a module default export and a resolved promise', async () => {
    expect((await run('const x = 20;\nreturn x + 1;')).value).toBe(21);
    expect((await run('export default { ok: true };')).value).toEqual({ ok: true });
    expect((await run('Promise.resolve(7).then((n) => n * 6)')).value).toBe(42);
  });

  it.each([
    ['typeof process', 'undefined'],
    ['typeof require', 'undefined'],
    ['typeof fetch', 'undefined'],
    ['typeof XMLHttpRequest', 'undefined'],
    ["globalThis.constructor.constructor('return typeof process')()", 'undefined'],
    ["Function('return typeof require')()", 'undefined'],
  ])('sees no host object: %s', async (code, expected) => {
    expect((await run(code)).value).toBe(expected);
  });

  it('cannot load modules with import() or import', async () => {
    const dynamic = await run('import("fs").then((fs) => Object.keys(fs))');
    expect(dynamic.value).toBeNull();
    expect(dynamic.error).toBeDefined();
    const statically = await run(
      'import { readFileSync } from "fs";\nexport default readFileSync("/etc/passwd", "utf8");',
    );
    expect(statically.value).toBeNull();
    expect(statically.error).toBeDefined();
  });

  it('reaching for process through the constructor chain throws inside the guest', async () => {
    const result = await run("globalThis.constructor.constructor('return process')().env");
    expect(result.error?.name).toBe('ReferenceError');
  });

  it('stops an infinite loop at the time limit', async () => {
    const result = await run('while (true) {}', { timeoutMs: 200 });
    expect(result.error).toEqual({ name: 'TimeoutError', message: 'stopped after 200 ms' });
  });

  it('stops a huge allocation at the memory limit', async () => {
    const result = await run('const chunks = []; for (;;) chunks.push(new Array(1e6).fill(1));', {
      timeoutMs: 5000,
    });
    expect(result.error?.message).toContain('out of memory');
  });

  it('stops runaway recursion at the stack limit', async () => {
    const result = await run('function down(n) { return down(n + 1) + 1 } down(0)');
    expect(result.error?.message).toMatch(/stack overflow/);
  });

  it('reports guest exceptions with their name and message', async () => {
    expect((await run('throw new TypeError("bad thing")')).error).toEqual({
      name: 'TypeError',
      message: 'bad thing',
    });
  });

  it('keeps calls isolated from each other', async () => {
    await run('globalThis.leak = 1');
    expect((await run('typeof leak')).value).toBe('undefined');
  });
});
