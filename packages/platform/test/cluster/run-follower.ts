/**
 * A client following one run's Server-Sent Events through the load balancer, as the dashboard does:
 * on a dropped stream (its replica killed, a 502 while nginx notices) it reconnects with `Last-Event-ID`
 * — the `seq` of the last event it has — until it has the run's `run-end`.
 */
import { createSseParser } from '../../src/cli/remote/sse-parser.ts';

/** What a follower saw. */
export interface FollowedRun {
  runId: string;
  /** `seq` of every stored event received, in arrival order (the live `text-delta`s have none). */
  seqs: number[];
  /** Their types, in the same order. */
  types: string[];
  /** Streams opened (1 + reconnections). */
  connections: number;
  /** Set once `run-end` arrived. */
  ended: boolean;
  /** Why the last attempt failed, when it did. */
  lastError: string | undefined;
}

/** Follows `runId` until its `run-end` or `signal` aborts. */
export async function followRun(options: {
  url: string;
  apiKey: string;
  runId: string;
  signal: AbortSignal;
}): Promise<FollowedRun> {
  const followed: FollowedRun = {
    runId: options.runId,
    seqs: [],
    types: [],
    connections: 0,
    ended: false,
    lastError: undefined,
  };
  while (!followed.ended && !options.signal.aborted) {
    followed.connections += 1;
    const last = followed.seqs.at(-1);
    try {
      const response = await fetch(`${options.url}/v1/runs/${options.runId}/events`, {
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          accept: 'text/event-stream',
          ...(last === undefined ? {} : { 'last-event-id': String(last) }),
        },
        signal: options.signal,
      });
      if (!response.ok || !response.body) {
        followed.lastError = `HTTP ${response.status}`;
        await response.body?.cancel();
      } else {
        const parse = createSseParser((message) => {
          if (message.event !== 'message' || message.id === undefined) return;
          const event = JSON.parse(message.data) as { type: string; seq: number };
          followed.seqs.push(event.seq);
          followed.types.push(event.type);
          if (event.type === 'run-end') followed.ended = true;
        });
        const decoder = new TextDecoder();
        for await (const chunk of response.body) parse(decoder.decode(chunk, { stream: true }));
      }
    } catch (error) {
      followed.lastError = error instanceof Error ? error.message : String(error);
    }
    if (!followed.ended && !options.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return followed;
}
