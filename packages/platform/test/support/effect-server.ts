import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback server whose POST /effect is a side effect, applied at most once per Idempotency-Key. */
export interface EffectServer {
  url: string;
  /** Every request received: its key and whether it applied a new effect. */
  requests: { key: string; path: string; applied: boolean }[];
  /** Effects applied, per key. */
  applied: Map<string, number>;
  /** Called when a request arrives, after the effect is recorded and before the answer is sent. */
  onEffect: ((key: string) => void) | undefined;
  close(): Promise<void>;
}

/** Starts an {@link EffectServer} on 127.0.0.1. */
export async function startEffectServer(): Promise<EffectServer> {
  const state: EffectServer = {
    url: '',
    requests: [],
    applied: new Map(),
    onEffect: undefined,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const key = String(request.headers['idempotency-key'] ?? '');
      const fresh = key !== '' && !state.applied.has(key);
      if (fresh) state.applied.set(key, 1);
      state.requests.push({ key, path: request.url ?? '', applied: fresh });
      state.onEffect?.(key);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ ok: true, key, applied: fresh }));
    });
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
