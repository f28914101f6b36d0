import { describe, expect, it } from 'vitest';
import type { McpToolHost } from './connect-mcp-servers.ts';
import { createMcpPool } from './mcp-pool.ts';

/** A fake server set that counts its closes; `fail()` makes it report a dead server. */
function fakeHost(): McpToolHost & { closed: number; fail(): void } {
  let state: 'ready' | 'failed' = 'ready';
  const host = {
    closed: 0,
    fail: () => (state = 'failed'),
    list: () => [],
    get: () => undefined,
    status: () => [{ server: 'fake', state, tools: 0 }],
    close: async () => {
      host.closed += 1;
    },
  };
  return host;
}

describe('MCP server pool', () => {
  it('lends one set per key across slices and shares it between slices at once', async () => {
    const pool = createMcpPool({ idleMs: 60_000 });
    let started = 0;
    const host = fakeHost();
    const connect = async () => {
      started += 1;
      return host;
    };
    const first = await pool.acquire('agent@1:/ws', connect);
    const second = await pool.acquire('agent@1:/ws', connect);
    await first.release();
    await second.release();
    const third = await pool.acquire('agent@1:/ws', connect);
    await third.release();
    expect(started).toBe(1);
    expect(host.closed).toBe(0);
    await pool.close();
    expect(host.closed).toBe(1);
  });

  it('closes an idle set after idleMs, and the oldest idle ones beyond maxIdle', async () => {
    const pool = createMcpPool({ idleMs: 20, maxIdle: 1 });
    const a = fakeHost();
    const b = fakeHost();
    await (await pool.acquire('a', async () => a)).release();
    await (await pool.acquire('b', async () => b)).release();
    expect(a.closed).toBe(1);
    while (b.closed === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(b.closed).toBe(1);
    expect(pool.size).toBe(0);
  });

  it('never lends a set whose server died again, and forgets a set that failed to start', async () => {
    const pool = createMcpPool();
    const dying = fakeHost();
    const lent = await pool.acquire('k', async () => dying);
    dying.fail();
    await lent.release();
    expect(dying.closed).toBe(1);
    const fresh = fakeHost();
    expect((await pool.acquire('k', async () => fresh)).host).toBe(fresh);
    await expect(pool.acquire('broken', async () => Promise.reject(new Error('no server')))).rejects.toThrow(
      'no server',
    );
    expect((await pool.acquire('broken', async () => fakeHost())).host.status()[0]?.state).toBe('ready');
    await pool.close();
  });
});
