/**
 * A run's events: `GET /v1/runs/:id/events` as Server-Sent Events (or, asked for `application/json`,
 * the stored log as one JSON page) and `GET /v1/runs/:id/ws` as a WebSocket. Both resume where the
 * client left off: SSE from `Last-Event-ID` (the last `seq` received) or `?fromSeq=` (the first `seq`
 * wanted), the WebSocket from `?fromSeq=`.
 */
import type { Run, RunEvent, Scope } from '@autonoma/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { scopeOf } from '../auth.ts';
import { errorBody, requestError, toApiError } from '../errors.ts';
import { rolesAllowed } from '../permissions.ts';
import type { RunStream } from '../run-stream.ts';
import { openRunStream } from '../run-stream.ts';
import { errorResponses } from '../views/common.ts';
import { RunEventView, toRunEventView } from '../views/runs.ts';
import type { ApiRoutes, RouteDeps } from './route-deps.ts';
import { RunParams } from './runs.ts';

const tags = ['runs'];
const FromSeqQuery = z.strictObject({
  fromSeq: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .describe('the first `seq` wanted (default: 1, everything)'),
});

/** The part of a WebSocket a stream uses (the `ws` package's socket). */
interface LiveSocket {
  readonly readyState: number;
  send(data: string): void;
  ping(): void;
  close(code?: number, reason?: string): void;
  on(event: 'close', listener: () => void): void;
}
const socketOpen = 1;

/** True unless the client prefers JSON: a stream is what `*\/*` (curl) and EventSource get. */
const wantsJson = (accept: string | undefined): boolean =>
  accept !== undefined && accept.includes('application/json') && !accept.includes('text/event-stream');

/** `Last-Event-ID` (the last `seq` the client has), else `fromSeq - 1`, else 0. */
function afterSeqOf(lastEventId: string | undefined, fromSeq: number | undefined): number {
  if (lastEventId !== undefined && lastEventId.trim() !== '') {
    if (!/^\d{1,15}$/.test(lastEventId.trim()))
      throw requestError('headers.last-event-id', 'expected the `seq` of the last event received');
    return Number(lastEventId.trim());
  }
  return fromSeq === undefined ? 0 : fromSeq - 1;
}

/**
 * An event as the clients see it, in JSON, made once per event however many subscribers it goes to (the
 * bus hands every subscriber of a run the same object): a run watched by a thousand clients costs one
 * view and one serialization per event, not a thousand.
 */
const eventTexts = new WeakMap<RunEvent, string>();
function eventText(event: RunEvent): string {
  let text = eventTexts.get(event);
  if (text === undefined) {
    text = JSON.stringify(toRunEventView(event));
    eventTexts.set(event, text);
  }
  return text;
}

/** One SSE message: `id` is the `seq` (absent for the ephemeral `text-delta`, which cannot be resumed). */
const sseFrame = (event: RunEvent): string =>
  `${event.seq > 0 ? `id: ${event.seq}\n` : ''}data: ${eventText(event)}\n\n`;

/** Opens the stream of `run` for a client that has everything up to `afterSeq`. */
const streamOf = (
  deps: RouteDeps,
  scope: Scope,
  run: Run,
  afterSeq: number,
  transport: Parameters<typeof openRunStream>[0]['transport'],
): RunStream =>
  openRunStream({
    bus: deps.bus,
    orgId: scope.orgId,
    runId: run.id,
    afterSeq,
    complete: run.finalizedAt !== null && afterSeq >= run.lastSeq,
    heartbeatMs: deps.streams.heartbeatMs,
    transport,
  });

/** Tracks open streams so that closing the server ends them (it would otherwise wait for them). */
function streamRegistry(deps: RouteDeps): { add(stream: RunStream): () => void } {
  const open = new Set<RunStream>();
  deps.onClose(() => {
    for (const stream of open) stream.close();
  });
  return {
    add(stream) {
      open.add(stream);
      return () => open.delete(stream);
    },
  };
}

function serveSse(deps: RouteDeps, registry: ReturnType<typeof streamRegistry>) {
  return (request: FastifyRequest, reply: FastifyReply, scope: Scope, run: Run, afterSeq: number): void => {
    const raw = reply.raw;
    reply.hijack();
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Proxies (nginx) must pass events on as they come.
      'x-accel-buffering': 'no',
    });
    raw.write(': stream of run events\n\n');
    let forget = (): void => undefined;
    const stream = streamOf(deps, scope, run, afterSeq, {
      send: (event) => void raw.write(sseFrame(event)),
      heartbeat: () => void raw.write(': heartbeat\n\n'),
      end: (failure) => {
        forget();
        if (failure !== undefined && !raw.writableEnded) {
          request.log.warn({ err: failure }, 'run event stream failed');
          raw.write(
            `event: stream-error\ndata: ${JSON.stringify(errorBody(toApiError(failure), request.id))}\n\n`,
          );
        }
        raw.end();
      },
    });
    forget = registry.add(stream);
    raw.on('close', () => stream.close());
  };
}

const webSocketDescription =
  'Each text message is one JSON event (as in the SSE stream), stored events from `fromSeq` first, then ' +
  'live ones; pings every 15 s; the server closes with 1000 after `run-end`, with 1011 after a failure ' +
  '(a `{ "type": "stream-error", "error": … }` message says why). Reconnect with `fromSeq` = last `seq` + 1.';

/** The OpenAPI operation of `GET /v1/runs/{id}/ws` (WebSocket routes are not generated; see server.ts). */
export const runWebSocketOperation = {
  tags,
  summary: "A run's events over a WebSocket",
  description: webSocketDescription,
  'x-permission': 'runs:read',
  'x-roles': [...rolesAllowed('runs:read')],
  parameters: [
    { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'run id' },
    { name: 'fromSeq', in: 'query', required: false, schema: { type: 'integer', minimum: 1 } },
  ],
  responses: {
    101: { description: 'switching to the WebSocket protocol' },
    '4XX': {
      description: 'refused before the upgrade',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    },
  },
};

/** The event routes. */
export const runEventRoutes: ApiRoutes = (api, deps) => {
  const runs = deps.services.runs;
  const registry = streamRegistry(deps);
  const sse = serveSse(deps, registry);

  api.get('/runs/:id/events', {
    config: { permission: 'runs:read' },
    schema: {
      tags,
      summary: "A run's events, live (Server-Sent Events) or stored (JSON)",
      description:
        'As `text/event-stream` (the default): stored events after `Last-Event-ID` (or from `fromSeq`), then ' +
        'live ones including `text-delta`, each `data:` one JSON event with `id:` its `seq`; comment lines ' +
        'every 15 s as heartbeats; the stream ends after `run-end`. With `Accept: application/json`: the stored ' +
        'events as `{ items }`.',
      params: RunParams,
      querystring: FromSeqQuery,
      headers: z.looseObject({
        'last-event-id': z.string().max(20).optional().describe('`seq` of the last event received'),
        accept: z.string().optional(),
      }),
      response: {
        200: {
          description: 'the events',
          content: {
            'text/event-stream': { schema: z.string().describe('SSE: `id: <seq>` and `data: <event JSON>`') },
            'application/json': { schema: z.object({ items: z.array(RunEventView) }) },
          },
        },
        ...errorResponses,
      },
    },
    handler: async (request, reply) => {
      const scope = scopeOf(request);
      const run = await runs.get(scope, request.params.id);
      const afterSeq = afterSeqOf(request.headers['last-event-id'], request.query.fromSeq);
      if (wantsJson(request.headers.accept)) {
        const events = await runs.events(scope, run.id, afterSeq);
        return reply.type('application/json').send({ items: events.map(toRunEventView) });
      }
      sse(request, reply, scope, run, afterSeq);
      return reply;
    },
  });

  api.route({
    method: 'GET',
    url: '/runs/:id/ws',
    websocket: true,
    config: { permission: 'runs:read' },
    schema: {
      tags,
      summary: runWebSocketOperation.summary,
      description: webSocketDescription,
      params: RunParams,
      querystring: FromSeqQuery,
    },
    // Before the upgrade, so an unknown run is a 404 in the error shape rather than a closed socket.
    preHandler: async (request) => {
      await runs.get(scopeOf(request), (request.params as { id: string }).id);
    },
    handler: async (socket: LiveSocket, request) => {
      const scope = scopeOf(request);
      const params = request.params as { id: string };
      const query = request.query as { fromSeq?: number };
      let run: Run;
      try {
        run = await runs.get(scope, params.id);
      } catch (error) {
        socket.send(JSON.stringify({ type: 'stream-error', ...errorBody(toApiError(error), request.id) }));
        socket.close(1011, 'failed');
        return;
      }
      let forget = (): void => undefined;
      const stream = streamOf(deps, scope, run, query.fromSeq === undefined ? 0 : query.fromSeq - 1, {
        send: (event) => {
          if (socket.readyState === socketOpen) socket.send(eventText(event));
        },
        heartbeat: () => {
          if (socket.readyState === socketOpen) socket.ping();
        },
        end: (failure) => {
          forget();
          if (socket.readyState !== socketOpen) return;
          if (failure === undefined) return socket.close(1000, 'run ended');
          request.log.warn({ err: failure }, 'run event stream failed');
          socket.send(
            JSON.stringify({ type: 'stream-error', ...errorBody(toApiError(failure), request.id) }),
          );
          socket.close(1011, 'stream failed');
        },
      });
      forget = registry.add(stream);
      socket.on('close', () => stream.close());
    },
  });
};
