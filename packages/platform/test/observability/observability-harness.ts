/**
 * Shared pieces of the observability suites: an app on an in-memory PGlite driven by the OpenAI wire
 * fixture, a Prometheus text-format parser, `promtool check metrics`, and a loopback OTLP/HTTP receiver
 * that decodes what the exporter sends (OTLP JSON).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { App, AppOptions } from '../../src/app.ts';
import { createApp } from '../../src/app.ts';
import type { Config } from '../../src/config/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { Fixture, FixtureReply, RecordedRequest } from '../fixtures/openai-server.ts';
import { startOpenAiFixture } from '../fixtures/openai-server.ts';

/** The configuration of a test app using the fixture model. */
export function fixtureConfig(model: Fixture, env: Record<string, string> = {}): Config {
  const cwd = mkdtempSync(join(tmpdir(), 'autonoma-observability-'));
  return loadConfig({
    env: {
      AUTONOMA_HOME: join(cwd, 'home'),
      AUTONOMA_MODEL: 'openai-compatible:fixture',
      AUTONOMA_MODEL_BASE_URL: `${model.url}/v1`,
      ...env,
    },
    cwd,
  }).config;
}

/** An app on an in-memory store with its default agent. */
export async function startApp(config: Config, options: AppOptions = {}): Promise<App> {
  const app = await createApp(config, { inMemory: true, ...options });
  await app.services.agents.ensureDefault(app.localScope);
  return app;
}

const toolMessages = (request: RecordedRequest): number =>
  ((request.body as { messages?: { role?: string }[] }).messages ?? []).filter(
    (message) => message.role === 'tool',
  ).length;

/**
 * A model that makes `calls` in order, one per step (each with the given usage), then answers. The
 * position comes from the tool results in the request, so several runs may use it at once.
 */
export function startToolModel(
  calls: readonly { name: string; input: unknown }[],
  usage = { inputTokens: 100, outputTokens: 20 },
): Promise<Fixture> {
  return startOpenAiFixture((request): FixtureReply => {
    const done = toolMessages(request);
    const next = calls[done];
    return next ? { kind: 'tool-calls', calls: [next], usage } : { kind: 'text', text: 'all done', usage };
  });
}

/** One sample of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The families of a Prometheus text exposition: `# TYPE` and samples. */
export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

/** Parses the Prometheus text format (what prom-client writes). */
export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      if (name && type) types.set(name, type);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1] ?? ''] = (pair[2] ?? '').replace(/\\(.)/g, '$1');
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return { types, samples };
}

/** The value of the one sample named `name` whose labels include `labels` (0 when absent). */
export function valueOf(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  return exposition.samples
    .filter(
      (sample) =>
        sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    )
    .reduce((sum, sample) => sum + sample.value, 0);
}

/** Runs `promtool check metrics` on `text`; resolves with its exit code and output. */
export function promtoolCheckMetrics(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) =>
      reject(new Error(`promtool is not installed (Debian package prometheus): ${error.message}`)),
    );
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

/** A span as OTLP JSON carries it, with attributes decoded to plain values. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  status: number;
  attributes: Record<string, unknown>;
  /** `service.name` of its resource. */
  service: string;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}

const decodeValue = (value: OtlpValue): unknown => {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decodeValue);
  return undefined;
};

const decodeAttributes = (list: { key: string; value: OtlpValue }[] | undefined): Record<string, unknown> =>
  Object.fromEntries((list ?? []).map((attribute) => [attribute.key, decodeValue(attribute.value)]));

interface OtlpRequest {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: OtlpValue }[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        startTimeUnixNano: string;
        endTimeUnixNano: string;
        status?: { code?: number };
        attributes?: { key: string; value: OtlpValue }[];
      }[];
    }[];
  }[];
}

/** A loopback OTLP/HTTP receiver (`POST /v1/traces`, JSON, gzip or not). */
export interface OtlpReceiver {
  /** The endpoint to configure (`OTEL_EXPORTER_OTLP_ENDPOINT`). */
  url: string;
  spans: ReceivedSpan[];
  /** Raw request bodies, decoded to text. */
  bodies: string[];
  requests: number;
  close(): Promise<void>;
}

/** Starts the receiver on 127.0.0.1. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const receiver: OtlpReceiver = {
    url: '',
    spans: [],
    bodies: [],
    requests: 0,
    close: async () => undefined,
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      receiver.requests += 1;
      if (request.url !== '/v1/traces' || request.method !== 'POST') {
        response.writeHead(404).end();
        return;
      }
      let raw = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      const text = raw.toString('utf8');
      receiver.bodies.push(text);
      const body = JSON.parse(text) as OtlpRequest;
      for (const resourceSpans of body.resourceSpans ?? []) {
        const resource = decodeAttributes(resourceSpans.resource?.attributes);
        for (const scope of resourceSpans.scopeSpans ?? [])
          for (const span of scope.spans ?? [])
            receiver.spans.push({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              name: span.name,
              kind: span.kind,
              startNs: BigInt(span.startTimeUnixNano),
              endNs: BigInt(span.endTimeUnixNano),
              status: span.status?.code ?? 0,
              attributes: decodeAttributes(span.attributes),
              service: String(resource['service.name'] ?? ''),
            });
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return receiver;
}
