/**
 * A process's pool of MCP server sets, so a worker does not spawn an agent's servers again at every
 * slice. A set is keyed by the agent (and its version: a changed definition gets fresh servers) and the
 * workspace directory its stdio servers are confined to (the sandbox binds it), so a run's successive
 * slices on one worker share one set, and runs sharing a workspace share it at once (an MCP session
 * multiplexes calls). A set no slice uses is closed after `idleMs`, or sooner when more than `maxIdle`
 * sets are idle (oldest first). A set with a server that failed or died is closed on release, never
 * handed out again: the next slice starts fresh servers.
 */
import type { McpToolHost } from './connect-mcp-servers.ts';

/** Options of {@link createMcpPool}. */
export interface McpPoolOptions {
  /** @default 60000 */
  idleMs?: number;
  /** @default 16 */
  maxIdle?: number;
}

/** A set lent by the pool; `release` hands it back (it never closes a set another slice uses). */
export interface PooledServers {
  host: McpToolHost;
  release(): Promise<void>;
}

/** See the module comment. */
export interface McpPool {
  acquire(key: string, connect: () => Promise<McpToolHost>): Promise<PooledServers>;
  /** Sets open now (in use or idle). */
  readonly size: number;
  /** Closes every set, in use or not. */
  close(): Promise<void>;
}

interface Entry {
  host: Promise<McpToolHost>;
  users: number;
  idleSince: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Creates an {@link McpPool}. */
export function createMcpPool(options: McpPoolOptions = {}): McpPool {
  const idleMs = options.idleMs ?? 60_000;
  const maxIdle = options.maxIdle ?? 16;
  const entries = new Map<string, Entry>();

  const drop = async (key: string, entry: Entry): Promise<void> => {
    clearTimeout(entry.timer);
    if (entries.get(key) === entry) entries.delete(key);
    await (await entry.host.catch(() => undefined))?.close().catch(() => undefined);
  };

  const healthy = (host: McpToolHost): boolean => host.status().every((server) => server.state === 'ready');

  const trimIdle = async (): Promise<void> => {
    const idle = [...entries.entries()].filter(([, entry]) => entry.users === 0);
    idle.sort(([, left], [, right]) => left.idleSince - right.idleSince);
    await Promise.all(
      idle.slice(0, Math.max(0, idle.length - maxIdle)).map(([key, entry]) => drop(key, entry)),
    );
  };

  return {
    get size() {
      return entries.size;
    },
    async acquire(key, connect) {
      let entry = entries.get(key);
      if (entry === undefined) {
        entry = { host: connect(), users: 0, idleSince: 0, timer: undefined };
        entries.set(key, entry);
      }
      const current = entry;
      current.users += 1;
      clearTimeout(current.timer);
      current.timer = undefined;
      let host: McpToolHost;
      try {
        host = await current.host;
      } catch (error) {
        current.users -= 1;
        if (entries.get(key) === current) entries.delete(key);
        throw error;
      }
      let released = false;
      return {
        host,
        async release() {
          if (released) return;
          released = true;
          current.users -= 1;
          if (!healthy(host)) {
            // Kept away from later slices at once; closed when its last user is done.
            if (entries.get(key) === current) entries.delete(key);
            if (current.users === 0) await drop(key, current);
            return;
          }
          if (current.users > 0 || entries.get(key) !== current) return;
          current.idleSince = Date.now();
          current.timer = setTimeout(() => void drop(key, current), idleMs);
          current.timer.unref();
          await trimIdle();
        },
      };
    },
    async close() {
      await Promise.all([...entries.entries()].map(([key, entry]) => drop(key, entry)));
    },
  };
}
