/**
 * Shared pieces of the observability suites: an app on an in-memory PGlite driven by the OpenAI wire
 * fixture, a Prometheus text-format parser, `promtool check metrics`, and a loopback OTLP/HTTP receiver
 * that decodes what the exporter sends (OTLP protobuf, the default, with a wire-format decoder of its
 * own — or OTLP JSON).
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

/** A span as OTLP carries it (protobuf or JSON), with attributes decoded to plain values. */
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
  /** Links to other spans: their trace and span ids. */
  links: { traceId: string; spanId: string }[];
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
        links?: { traceId: string; spanId: string }[];
      }[];
    }[];
  }[];
}

/** The spans of an OTLP JSON `ExportTraceServiceRequest`. */
export function decodeOtlpJson(text: string): ReceivedSpan[] {
  const body = JSON.parse(text) as OtlpRequest;
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of body.resourceSpans ?? []) {
    const resource = decodeAttributes(resourceSpans.resource?.attributes);
    for (const scope of resourceSpans.scopeSpans ?? [])
      for (const span of scope.spans ?? [])
        spans.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? '',
          name: span.name,
          kind: span.kind,
          startNs: BigInt(span.startTimeUnixNano),
          endNs: BigInt(span.endTimeUnixNano),
          status: span.status?.code ?? 0,
          attributes: decodeAttributes(span.attributes),
          links: (span.links ?? []).map((link) => ({ traceId: link.traceId, spanId: link.spanId })),
          service: String(resource['service.name'] ?? ''),
        });
  }
  return spans;
}

/**
 * One field of a protobuf message: its number and, by wire type, a varint (as a bigint), a fixed64 (as
 * a bigint), a fixed32, or the bytes of a length-delimited field (a string, bytes or a nested message).
 */
type WireField =
  | { field: number; wire: 0 | 1; value: bigint }
  | { field: number; wire: 5; value: number }
  | { field: number; wire: 2; value: Uint8Array };

/** The fields of one protobuf message, in order (the wire format, decoded from scratch). */
export function protobufFields(bytes: Uint8Array): WireField[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: WireField[] = [];
  let position = 0;
  const varint = (): bigint => {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      if (position >= bytes.length) throw new Error('protobuf: truncated varint');
      const byte = bytes[position++] as number;
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
      shift += 7n;
    }
  };
  while (position < bytes.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) fields.push({ field, wire, value: varint() });
    else if (wire === 1) {
      fields.push({ field, wire, value: view.getBigUint64(position, true) });
      position += 8;
    } else if (wire === 5) {
      fields.push({ field, wire, value: view.getUint32(position, true) });
      position += 4;
    } else if (wire === 2) {
      const length = Number(varint());
      if (position + length > bytes.length) throw new Error('protobuf: truncated field');
      fields.push({ field, wire, value: bytes.subarray(position, position + length) });
      position += length;
    } else throw new Error(`protobuf: unexpected wire type ${wire} (field ${field})`);
  }
  return fields;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const nested = (fields: WireField[], number: number): Uint8Array[] =>
  fields.flatMap((field) => (field.field === number && field.wire === 2 ? [field.value] : []));
const scalar = (fields: WireField[], number: number): bigint | number | undefined => {
  const found = fields.findLast((field) => field.field === number && field.wire !== 2);
  return found?.value as bigint | number | undefined;
};
const text = (fields: WireField[], number: number): string => {
  const [bytes] = nested(fields, number);
  return bytes === undefined ? '' : utf8.decode(bytes);
};

/** An OTLP `AnyValue` (opentelemetry/proto/common/v1/common.proto). */
function decodeAnyValue(bytes: Uint8Array): unknown {
  const fields = protobufFields(bytes);
  for (const field of fields) {
    if (field.field === 1 && field.wire === 2) return utf8.decode(field.value); // string_value
    if (field.field === 2 && field.wire === 0) return field.value !== 0n; // bool_value
    if (field.field === 3 && field.wire === 0) return Number(BigInt.asIntN(64, field.value)); // int_value
    if (field.field === 4 && field.wire === 1) {
      // double_value
      const buffer = new DataView(new ArrayBuffer(8));
      buffer.setBigUint64(0, field.value, true);
      return buffer.getFloat64(0, true);
    }
    if (field.field === 5 && field.wire === 2)
      return nested(protobufFields(field.value), 1).map(decodeAnyValue); // array_value.values
    if (field.field === 7 && field.wire === 2) return field.value; // bytes_value
  }
  return undefined;
}

/** Repeated `KeyValue`s (key = 1, value = 2) at field `number`. */
const protobufAttributes = (fields: WireField[], number: number): Record<string, unknown> =>
  Object.fromEntries(
    nested(fields, number).map((entry) => {
      const keyValue = protobufFields(entry);
      const [value] = nested(keyValue, 2);
      return [text(keyValue, 1), value === undefined ? undefined : decodeAnyValue(value)];
    }),
  );

/**
 * The spans of an OTLP protobuf `ExportTraceServiceRequest`, decoded field by field after
 * opentelemetry/proto's trace.proto: request.resource_spans (1) → ResourceSpans.resource (1) and
 * .scope_spans (2) → ScopeSpans.spans (2) → Span: trace_id 1, span_id 2, parent_span_id 4, name 5,
 * kind 6, start/end_time_unix_nano 7/8 (fixed64), attributes 9, links 13, status 15 (code 3).
 */
export function decodeOtlpProtobuf(body: Uint8Array): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of nested(protobufFields(body), 1)) {
    const fields = protobufFields(resourceSpans);
    const [resource] = nested(fields, 1);
    const service =
      resource === undefined ? '' : protobufAttributes(protobufFields(resource), 1)['service.name'];
    for (const scopeSpans of nested(fields, 2))
      for (const spanBytes of nested(protobufFields(scopeSpans), 2)) {
        const span = protobufFields(spanBytes);
        const [traceId, spanId, parentSpanId, status] = [1, 2, 4, 15].map(
          (number) => nested(span, number)[0],
        );
        if (traceId === undefined || spanId === undefined) throw new Error('protobuf: a span without ids');
        spans.push({
          traceId: hex(traceId),
          spanId: hex(spanId),
          parentSpanId: parentSpanId === undefined ? '' : hex(parentSpanId),
          name: text(span, 5),
          kind: Number(scalar(span, 6) ?? 0),
          startNs: BigInt(scalar(span, 7) ?? 0),
          endNs: BigInt(scalar(span, 8) ?? 0),
          status: status === undefined ? 0 : Number(scalar(protobufFields(status), 3) ?? 0),
          attributes: protobufAttributes(span, 9),
          links: nested(span, 13).map((link) => {
            const linkFields = protobufFields(link);
            return {
              traceId: hex(nested(linkFields, 1)[0] ?? new Uint8Array()),
              spanId: hex(nested(linkFields, 2)[0] ?? new Uint8Array()),
            };
          }),
          service: typeof service === 'string' ? service : '',
        });
      }
  }
  return spans;
}

/** A loopback OTLP/HTTP receiver (`POST /v1/traces`, protobuf or JSON, gzip or not). */
export interface OtlpReceiver {
  /** The endpoint to configure (`OTEL_EXPORTER_OTLP_ENDPOINT`). */
  url: string;
  spans: ReceivedSpan[];
  /** Raw request bodies, decoded to text (a protobuf body's strings are readable in it). */
  bodies: string[];
  /** The `content-type` of each export request. */
  contentTypes: string[];
  requests: number;
  close(): Promise<void>;
}

/** Starts the receiver on 127.0.0.1. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const receiver: OtlpReceiver = {
    url: '',
    spans: [],
    bodies: [],
    contentTypes: [],
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
      const contentType = request.headers['content-type'] ?? '';
      receiver.contentTypes.push(contentType);
      receiver.bodies.push(raw.toString('utf8'));
      try {
        receiver.spans.push(
          ...(contentType === 'application/x-protobuf'
            ? decodeOtlpProtobuf(raw)
            : decodeOtlpJson(raw.toString('utf8'))),
        );
      } catch (error) {
        // A body the receiver cannot decode fails the export (and the test that waits for its spans).
        response.writeHead(400, { 'content-type': 'text/plain' }).end(String(error));
        return;
      }
      // An empty ExportTraceServiceResponse, in the request's encoding.
      if (contentType === 'application/x-protobuf')
        response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      else response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
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
