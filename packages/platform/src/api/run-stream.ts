/**
 * A live stream of one run's events, whatever carries it (SSE, WebSocket): stored events after the
 * client's last `seq`, then live ones, from the event bus (no gap, no duplicate by `seq`); heartbeats
 * while nothing happens; the end after `run-end`, the last event of every run.
 */
import type { EventBus, RunEvent, Subscription } from '@autonoma/core';

/** What a stream writes to: one transport (an SSE response, a WebSocket). */
export interface StreamTransport {
  /** Writes one event. */
  send(event: RunEvent): void;
  /** Keeps idle proxies from closing the connection. */
  heartbeat(): void;
  /** Ends the transport: after `run-end` (no failure), or because the stream failed. */
  end(failure?: unknown): void;
}

/** What {@link openRunStream} streams. */
export interface RunStreamOptions {
  bus: EventBus;
  orgId: string;
  runId: string;
  /** The last `seq` the client has (0 for everything). */
  afterSeq: number;
  /** True when the client already has the whole log of a finished run: the stream ends at once. */
  complete: boolean;
  heartbeatMs: number;
  transport: StreamTransport;
}

/** An open stream. */
export interface RunStream {
  /** Stops the stream (the client went away, or the server closes); the transport is ended once. */
  close(): void;
}

/** Streams a run's events to `transport` until `run-end`, a failure, or `close()`. */
export function openRunStream(options: RunStreamOptions): RunStream {
  const { transport } = options;
  const open: { ended: boolean; heartbeat?: ReturnType<typeof setInterval>; subscription?: Subscription } = {
    ended: false,
  };
  const finish = (failure?: unknown): void => {
    if (open.ended) return;
    open.ended = true;
    clearInterval(open.heartbeat);
    // Not awaited: this may run inside the subscription's own delivery, which close() waits for.
    void open.subscription?.close().catch(() => undefined);
    transport.end(failure);
  };
  if (options.complete) {
    finish();
    return { close: () => undefined };
  }
  open.heartbeat = setInterval(() => transport.heartbeat(), options.heartbeatMs);
  open.heartbeat.unref();
  open.subscription = options.bus.subscribe({
    orgId: options.orgId,
    runId: options.runId,
    afterSeq: options.afterSeq,
    onEvent: (event) => {
      if (open.ended) return;
      transport.send(event);
      if (event.type === 'run-end') finish();
    },
    onError: (error) => finish(error ?? new Error('the event stream failed')),
  });
  // A subscription that failed at once has already ended the stream.
  if (open.ended) void open.subscription.close().catch(() => undefined);
  return { close: () => finish() };
}
