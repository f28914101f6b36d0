/**
 * Advances runs inside the serving process, for the embedded `autonoma serve` until the queue's worker
 * pool takes over: THE SEAM is {@link startInProcessRuns} — `startWorkerPool(app)` (jobs/) replaces its
 * one call in serve-action.ts, and this file goes.
 *
 * It looks for runs left to advance (queued, running with no live lease, terminal but not finalized) when
 * woken (a run was created or approved) and every `pollMs`, and advances up to `concurrency` of them at
 * once, each until it ends or waits. Stopping drains: steps in flight commit, runs stay runnable.
 */
import type { App } from '../app.ts';

/** Options of {@link startInProcessRuns}. */
export interface InProcessRunsOptions {
  /** Runs advanced at once. @default 4 */
  concurrency?: number;
  /** How often to look for runs without being woken. @default 1000 */
  pollMs?: number;
  /** Where failures are reported. */
  warn?: (message: string) => void;
}

/** Runs being advanced in this process. */
export interface InProcessRuns {
  /** Look for runs now (a run was created or approved). */
  wake(): void;
  /** Drains: no new run starts, steps in flight commit; resolves when none is left. */
  stop(): Promise<void>;
}

/** A run whose advance failed is retried after this long. */
const retryAfterMs = 5000;

/** Starts advancing the app's runnable runs in this process. */
export function startInProcessRuns(app: App, options: InProcessRunsOptions = {}): InProcessRuns {
  const concurrency = options.concurrency ?? 4;
  const scope = app.localScope;
  const active = new Map<string, Promise<void>>();
  const failedAt = new Map<string, number>();
  const drain = new AbortController();
  let looking = false;
  let lookAgain = false;

  const advance = (runId: string): void => {
    const work = app.services.runs
      .advance(scope, runId, { drain: drain.signal })
      .then(
        () => void failedAt.delete(runId),
        (error: unknown) => {
          failedAt.set(runId, Date.now());
          options.warn?.(`run ${runId} could not be advanced: ${(error as Error).message}`);
        },
      )
      .finally(() => {
        active.delete(runId);
        look();
      });
    active.set(runId, work);
  };

  const lookOnce = async (): Promise<void> => {
    const now = Date.now();
    const candidates = await app.services.runs.interrupted(scope, concurrency * 2 + active.size);
    for (const run of candidates) {
      if (drain.signal.aborted || active.size >= concurrency) return;
      if (active.has(run.id) || now - (failedAt.get(run.id) ?? 0) < retryAfterMs) continue;
      advance(run.id);
    }
  };

  function look(): void {
    if (drain.signal.aborted || active.size >= concurrency) return;
    if (looking) {
      lookAgain = true;
      return;
    }
    looking = true;
    lookOnce()
      .catch((error: unknown) => options.warn?.(`could not look for runs: ${(error as Error).message}`))
      .finally(() => {
        looking = false;
        if (lookAgain) {
          lookAgain = false;
          look();
        }
      });
  }

  const timer = setInterval(look, options.pollMs ?? 1000);
  timer.unref();
  look();
  return {
    wake: look,
    async stop() {
      clearInterval(timer);
      drain.abort();
      while (active.size > 0) await Promise.allSettled([...active.values()]);
    },
  };
}
