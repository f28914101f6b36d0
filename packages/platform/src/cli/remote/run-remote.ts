/**
 * `autonoma run --server URL`: the run is created through the API and its events are followed live
 * (SSE), with the same progress lines, result and exit code as an embedded run. Ctrl-C cancels it.
 */
import { randomUUID } from 'node:crypto';
import type { RunStatus } from '@autonoma/core';
import type { CreateRunBody } from '../../api/views/runs.ts';
import type { Output } from '../output.ts';
import { createProgress } from '../progress.ts';
import { reportRun, runHeadline } from '../report-run.ts';
import type { ApiClient } from './api-client.ts';

/**
 * States where an embedded `autonoma run` returns too: the run waits for a person or a timer. (A run
 * waiting for its children goes on: the server advances them, then it.)
 */
const waiting: ReadonlySet<RunStatus> = new Set(['waiting_approval', 'waiting_input', 'sleeping']);

/** Starts a run on the server, follows it until it ends or waits, and reports it like an embedded run. */
export async function runRemotely(
  client: ApiClient,
  body: CreateRunBody,
  output: Output,
  json: boolean,
): Promise<void> {
  // One key per invocation: a POST retried after a lost answer finds the same run.
  const started = await client.startRun(body, randomUUID());
  if (!json) output.err(runHeadline(started.id, body.goal));
  await followRemotely(client, started.id, { output, json });
}

/**
 * Follows a run the server advances, with the progress lines of an embedded run, until it ends or
 * waits for a person or a timer, then reports it (result and exit code) like an embedded run. Ctrl-C
 * cancels it. `afterSeq`: the events already seen (the stream starts after them).
 */
export async function followRemotely(
  client: ApiClient,
  runId: string,
  options: { output: Output; json: boolean; afterSeq?: number },
): Promise<void> {
  const { output, json } = options;
  const progress = createProgress(output);
  let cancelled = false;
  const onInterrupt = (): void => {
    if (cancelled) return;
    cancelled = true;
    // The stream goes on and ends with the run's `run-end`, as an embedded run does.
    client.runs.cancel(runId, 'interrupted').catch(() => undefined);
  };
  process.on('SIGINT', onInterrupt);
  try {
    await client.followRun(runId, {
      ...(options.afterSeq === undefined ? {} : { afterSeq: options.afterSeq }),
      onEvent: (event) => {
        if (!json) progress.sink(event);
        return event.type === 'step-end' && waiting.has(event.status);
      },
    });
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    progress.done();
  }
  reportRun(await client.runs.get(runId), output, json);
}
