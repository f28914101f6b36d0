/**
 * `autonoma run` in a cluster (DATABASE_URL and REDIS_URL set): the run is stored with its first job
 * (the outbox) and workers advance it; this process follows its events from the bus — the stored ones
 * first, then live ones — with the same progress lines, result and exit code as an embedded run.
 * Ctrl-C cancels the run.
 */
import type { RunEvent, RunStatus } from '@autonoma/core';
import type { App } from '../app.ts';
import type { StartRun } from '../services/index.ts';
import type { Output } from './output.ts';
import { createProgress } from './progress.ts';
import { reportRun, runHeadline } from './report-run.ts';

/**
 * States where an embedded `autonoma run` returns too: the run waits for a person or a timer. (A run
 * waiting for its children goes on: workers advance them and then it.)
 */
const waitsOutside: ReadonlySet<RunStatus> = new Set(['waiting_approval', 'waiting_input', 'sleeping']);

/** Starts a run for the workers and follows it until it ends or waits outside; reports it. */
export async function runInCluster(
  app: App,
  input: Omit<StartRun, 'enqueue'>,
  output: Output,
  json: boolean,
): Promise<void> {
  const scope = app.localScope;
  const run = await app.services.runs.start(scope, { ...input, enqueue: true });
  if (!json) output.err(runHeadline(run.id, input.goal));
  const workers = await app.services.workers.list(scope).catch(() => []);
  if (!workers.some((worker) => worker.alive && worker.queues.includes(run.priority)))
    output.err(
      `no live worker serves the '${run.priority}' queue yet: the run waits for one (autonoma worker)`,
    );
  const progress = createProgress(output);
  let cancelled = false;
  const onInterrupt = (): void => {
    if (cancelled) return;
    cancelled = true;
    // The run ends `cancelled` and its `run-end` arrives through the bus like any other end.
    app.services.runs.cancel(scope, run.id, 'interrupted').catch(() => undefined);
  };
  process.on('SIGINT', onInterrupt);
  try {
    await follow(app, run.id, (event) => {
      if (!json) progress.sink(event);
      return event.type === 'run-end' || (event.type === 'step-end' && waitsOutside.has(event.status));
    });
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    progress.done();
  }
  reportRun(await app.services.runs.get(scope, run.id), output, json);
}

/**
 * Delivers a run's events in order until `onEvent` returns true. A subscription that fails (the
 * store did not answer) is opened again after the last event delivered.
 */
async function follow(app: App, runId: string, onEvent: (event: RunEvent) => boolean): Promise<void> {
  let afterSeq = 0;
  for (let failures = 0; ; failures += 1) {
    const ended = await new Promise<boolean>((resolve) => {
      let settled = false;
      const finish = (done: boolean): void => {
        if (settled) return;
        settled = true;
        void subscription.close().then(() => resolve(done));
      };
      const subscription = app.bus.subscribe({
        orgId: app.localScope.orgId,
        runId,
        afterSeq,
        onEvent: (event) => {
          if (event.seq > 0) afterSeq = event.seq;
          if (onEvent(event)) finish(true);
        },
        onError: () => finish(false),
      });
    });
    if (ended) return;
    if (failures >= 20) throw new Error(`lost the event stream of run ${runId}`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** failures, 5000)));
  }
}
