import type { Run } from '@autonoma/core';
import type { Output } from './output.ts';
import { formatUsage } from './progress.ts';

/** What reporting a run's end reads: the same fields embedded and through the API. */
export type RunOutcome = Pick<Run, 'id' | 'status' | 'answer' | 'reason' | 'usage'>;

/**
 * Prints a run's end: the answer and the run id, or JSON. Only a succeeded run's answer goes to stdout;
 * any other run's answer (often its error) goes to stderr with the status line, so a script reading
 * stdout never takes a failure for a result. Sets a non-zero exit code unless it succeeded (3 when it
 * waits for a person: an approval, or an answer to its question).
 */
export function reportRun(run: RunOutcome, output: Output, json: boolean): void {
  if (json) {
    output.out(
      JSON.stringify({
        runId: run.id,
        status: run.status,
        answer: run.answer,
        reason: run.reason,
        usage: run.usage,
      }),
    );
  } else if (run.status === 'succeeded') {
    if (run.answer) output.out(run.answer);
    output.err(`run ${run.id}: ${run.status} (${formatUsage(run.usage)})`);
  } else {
    // The answer of a failed run is usually its reason: print it once.
    if (run.answer && run.answer !== run.reason) output.err(run.answer);
    output.err(
      `run ${run.id}: ${run.status}${run.reason ? ` — ${run.reason}` : ''} (${formatUsage(run.usage)})`,
    );
    if (run.status === 'waiting_input') output.err(`answer it with: autonoma answer ${run.id} <text…>`);
  }
  if (run.status !== 'succeeded')
    process.exitCode = run.status === 'waiting_approval' || run.status === 'waiting_input' ? 3 : 1;
}

/** The first line of a run: its id and goal (on stderr, unless JSON). */
export const runHeadline = (runId: string, goal: string): string =>
  `run ${runId} · ${goal.length > 70 ? `${goal.slice(0, 69)}…` : goal}`;
