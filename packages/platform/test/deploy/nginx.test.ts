import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.ts';
import { requireCommand, runCommand } from './host-tools.ts';
import { readDeployFile } from './repository.ts';

/**
 * deploy/nginx/nginx.conf, with Debian's nginx: `nginx -t` on the file as Compose mounts it (upstream
 * host names pointed at loopback), then the same configuration serving for real in front of two
 * loopback backends — balancing, forwarded headers, SSE passed through unbuffered, the WebSocket upgrade,
 * /metrics kept inside, and failover when a replica goes away.
 */

const original = readDeployFile('nginx/nginx.conf');

interface Upstreams {
  'api-1': string;
  'api-2': string;
}

/** The configuration with the Compose host names and port replaced, and temp paths inside `directory`. */
function localConfig(directory: string, upstreams: Upstreams, listen: string): string {
  let text = original;
  for (const [host, address] of Object.entries(upstreams)) {
    const pattern = new RegExp(`(\\bserver\\s+)${host}:8080\\b`);
    expect(text, `upstream ${host}`).toMatch(pattern);
    text = text.replace(pattern, `$1${address}`);
  }
  expect(text).toMatch(/\blisten\s+8080;/);
  text = text.replace(/\blisten\s+8080;/, `listen ${listen};`);
  expect(text).toMatch(/\baccess_log\s+\/var\/log\/nginx\/access\.log\b/);
  text = text.replace(
    /\baccess_log\s+\/var\/log\/nginx\/access\.log\b/,
    `access_log ${join(directory, 'access.log')}`,
  );
  // Temporary files in the test's directory rather than the distribution's compiled-in paths.
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `  ${kind}_temp_path ${join(directory, `${kind}_temp`)};`)
    .join('\n');
  return text.replace(/^http\s*\{/m, `http {\n${temp}`);
}

function globalDirectives(directory: string): string {
  return `pid ${join(directory, 'nginx.pid')}; error_log stderr warn;`;
}

function nginxTest(
  nginx: string,
  directory: string,
  config: string,
): { status: number | null; output: string } {
  const file = join(directory, 'nginx.conf');
  writeFileSync(file, config);
  const result = runCommand(nginx, ['-t', '-p', directory, '-c', file, '-g', globalDirectives(directory)]);
  return { status: result.status, output: result.stdout + result.stderr };
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface SeenRequest {
  backend: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** A stand-in API replica: plain JSON, an SSE stream and a WebSocket, recording what it receives. */
class Backend {
  readonly seen: SeenRequest[] = [];
  readonly server: Server;
  /** Set by the test when the client has the first SSE event; the second is written only then. */
  releaseSecondEvent: () => void = () => undefined;
  secondEventWrittenAt = 0;
  readonly name: string;

  constructor(name: string) {
    this.name = name;
    this.server = createHttpServer((request, response) => {
      this.seen.push({ backend: name, url: request.url ?? '', headers: request.headers });
      if (request.url === '/v1/runs/run-1/events') {
        response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        response.write('id: 1\ndata: first\n\n');
        const release = new Promise<void>((resolve) => {
          this.releaseSecondEvent = resolve;
          // A buffering proxy never delivers the first event before the end: end anyway, later.
          setTimeout(resolve, 2000);
        });
        void release.then(() => {
          this.secondEventWrittenAt = performance.now();
          response.end('id: 2\ndata: second\n\n');
        });
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ backend: name }));
    });
    this.server.on('upgrade', (request, socket) => {
      this.seen.push({ backend: name, url: request.url ?? '', headers: request.headers });
      const key = String(request.headers['sec-websocket-key']);
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      const payload = Buffer.from(`hello from ${name}`);
      socket.write(Buffer.concat([Buffer.from([0x81, payload.length]), payload]));
      socket.on('data', () => socket.end(Buffer.from([0x88, 0x00])));
      socket.on('error', () => undefined);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const closed = new Promise((resolve) => this.server.close(resolve));
    this.server.closeAllConnections();
    await closed;
  }
}

let nginx = '';
let directory = '';

beforeAll(() => {
  nginx = requireCommand('nginx', 'nginx');
  directory = mkdtempSync(join(tmpdir(), 'autonoma-nginx-'));
  // nginx workers run as an unprivileged user and write temp files here.
  chmodSync(directory, 0o755);
});

afterAll(() => {
  if (directory !== '') rmSync(directory, { recursive: true, force: true });
});

describe('deploy/nginx/nginx.conf', () => {
  it('passes nginx -t', () => {
    const result = nginxTest(
      nginx,
      directory,
      localConfig(directory, { 'api-1': '127.0.0.1:8080', 'api-2': '127.0.0.2:8080' }, '127.0.0.1:8080'),
    );
    expect(result.output).toContain('test is successful');
    expect(result.status).toBe(0);
  });

  it('is checked by an nginx -t that fails on a broken file', () => {
    const config = localConfig(directory, { 'api-1': '127.0.0.1:8080', 'api-2': '127.0.0.2:8080' }, '8080');
    const broken = config.replace('proxy_buffering off;', 'proxy_buffering of;');
    const result = nginxTest(nginx, directory, broken);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/proxy_buffering/);
  });

  it('keeps SSE and WebSocket streams unbuffered and open for an hour', () => {
    const block = (path: string): string => {
      const match = new RegExp(`location ~ \\^/v1/runs/\\[\\^/\\]\\+/${path}\\$ \\{([^}]*)\\}`).exec(
        original,
      );
      if (match?.[1] === undefined) throw new Error(`no location for /v1/runs/:id/${path}`);
      return match[1];
    };
    const seconds = (body: string, directive: string): number =>
      Number(new RegExp(`\\b${directive}\\s+(\\d+)s;`).exec(body)?.[1] ?? 0);
    for (const path of ['events', 'ws']) {
      const body = block(path);
      expect(body, path).toMatch(/\bproxy_buffering off;/);
      expect(seconds(body, 'proxy_read_timeout'), path).toBeGreaterThanOrEqual(3600);
      expect(seconds(body, 'proxy_send_timeout'), path).toBeGreaterThanOrEqual(3600);
      // A location that sets any proxy_set_header loses all the server-level ones (X-Forwarded-For…).
      expect(body, path).not.toMatch(/proxy_set_header/);
    }
  });

  describe('serving in front of two replicas', () => {
    const first = new Backend('api-1');
    const second = new Backend('api-2');
    let server: ChildProcess | undefined;
    let base = '';
    let log = '';

    beforeAll(async () => {
      const upstreams = { 'api-1': await first.listen(), 'api-2': await second.listen() };
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      const file = join(directory, 'serving.conf');
      writeFileSync(file, localConfig(directory, upstreams, `127.0.0.1:${port}`));
      server = spawn(
        nginx,
        ['-p', directory, '-c', file, '-g', `daemon off; ${globalDirectives(directory)}`],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      server.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
      await waitFor(
        async () => {
          if (server?.exitCode !== null) throw new Error(`nginx exited: ${log}`);
          return fetch(`${base}/nginx-health`).then(
            (response) => response.ok,
            () => false,
          );
        },
        { what: 'nginx to answer', timeoutMs: 10_000 },
      );
    });

    afterAll(async () => {
      if (server !== undefined && server.exitCode === null) {
        const exited = new Promise((resolve) => server?.once('exit', resolve));
        server.kill('SIGTERM');
        await exited;
      }
      await Promise.all([first.close(), second.close()]).catch(() => undefined);
    });

    it('balances requests over both replicas and passes the client address as the last X-Forwarded-For hop', async () => {
      const backends = new Set<string>();
      for (let index = 0; index < 8; index += 1) {
        const response = await fetch(`${base}/v1/agents`, { headers: { 'x-forwarded-for': '6.6.6.6' } });
        expect(response.status).toBe(200);
        backends.add(((await response.json()) as { backend: string }).backend);
      }
      expect([...backends].sort()).toEqual(['api-1', 'api-2']);
      const seen = [...first.seen, ...second.seen].filter((request) => request.url === '/v1/agents');
      for (const request of seen) {
        // A forged header stays in front; the hop nginx appends (the real peer) is last.
        expect(String(request.headers['x-forwarded-for']).split(/,\s*/).at(-1)).toBe('127.0.0.1');
        expect(request.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
        expect(request.headers['x-forwarded-proto']).toBe('http');
        expect(request.headers['host']).toBe(new URL(base).host);
      }
    });

    it('streams Server-Sent Events as they are written, with the forwarded headers', async () => {
      const response = await fetch(`${base}/v1/runs/run-1/events`, {
        headers: { accept: 'text/event-stream' },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let received = '';
      while (!received.includes('data: first')) {
        const { value, done } = await reader.read();
        if (done) break;
        received += decoder.decode(value);
      }
      const firstEventAt = performance.now();
      first.releaseSecondEvent();
      second.releaseSecondEvent();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        received += decoder.decode(value);
      }
      expect(received).toContain('data: second');
      const backend = [first, second].find((candidate) => candidate.secondEventWrittenAt > 0);
      // Unbuffered: the first event reached the client before the replica wrote the second one.
      expect(firstEventAt).toBeLessThan(backend?.secondEventWrittenAt ?? 0);
      const request = [...first.seen, ...second.seen].find((seen) => seen.url === '/v1/runs/run-1/events');
      expect(String(request?.headers['x-forwarded-for'])).toBe('127.0.0.1');
    });

    it('upgrades the run WebSocket through to a replica', async () => {
      const socket = new WebSocket(`${base.replace('http', 'ws')}/v1/runs/run-1/ws`);
      const message = await new Promise<string>((resolve, reject) => {
        socket.addEventListener('message', (event) => resolve(String(event.data)));
        socket.addEventListener('error', () => reject(new Error('WebSocket error')));
      });
      socket.close();
      expect(message).toMatch(/^hello from api-[12]$/);
      const request = [...first.seen, ...second.seen].find((seen) => seen.url === '/v1/runs/run-1/ws');
      expect(request?.headers['upgrade']).toBe('websocket');
      expect(String(request?.headers['connection']).toLowerCase()).toBe('upgrade');
      expect(String(request?.headers['x-forwarded-for'])).toBe('127.0.0.1');
    });

    it('logs each request with the id the replica received, and without its query string', async () => {
      const response = await fetch(`${base}/v1/runs/run-2/ws-token-check?token=secret-canary-value`);
      expect(response.status).toBe(200);
      const request = [...first.seen, ...second.seen].find((seen) => seen.url.includes('ws-token-check'));
      const requestId = String(request?.headers['x-request-id']);
      const accessLog = readFileSync(join(directory, 'access.log'), 'utf8');
      expect(accessLog).toContain(`"GET /v1/runs/run-2/ws-token-check" 200`);
      expect(accessLog).toContain(`request_id=${requestId}`);
      expect(accessLog).not.toContain('secret-canary-value');
    });

    it('keeps /metrics inside: 404 at the load balancer, never proxied', async () => {
      const response = await fetch(`${base}/metrics`);
      expect(response.status).toBe(404);
      expect([...first.seen, ...second.seen].some((seen) => seen.url === '/metrics')).toBe(false);
    });

    it('sends every request to the remaining replica when one goes away', async () => {
      await second.close();
      for (let index = 0; index < 6; index += 1) {
        const response = await fetch(`${base}/v1/agents`);
        expect(response.status).toBe(200);
        expect(((await response.json()) as { backend: string }).backend).toBe('api-1');
      }
    });
  });
});
