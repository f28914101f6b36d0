import { AutonomaError, describeError } from '../errors.ts';
import type { Agent } from '../protocol/agent.ts';
import type { EventPayload } from '../protocol/events.ts';
import type { Run } from '../protocol/run.ts';
import { isTerminal } from '../protocol/run.ts';
import { storableValue } from '../protocol/storable.ts';
import { readRunLog } from './read-log.ts';
import type { AgentRuntime, EventSink } from './runtime.ts';

/** The run to finalize. */
export interface Finalization {
  run: Run;
  agent: Agent;
  sink?: EventSink;
}

/**
 * Ends a terminal run's log, once: reflection (episode, lessons, reusable plan — idempotent per run)
 * sees the final run and its whole log, then its events and `run-end` are appended together, guarded
 * so that however many processes try, and whenever one dies, the log ends exactly once. `run-end` is
 * always the last event of a run, on every path (a final step, a cancel, a failure to store a step).
 * A reflection that fails is recorded as an `error` event and never holds the run's end hostage,
 * except when a dependency is unavailable: then the run stays unfinalized and is finalized later.
 */
export async function finalizeRun(
  runtime: Pick<AgentRuntime, 'runs' | 'hooks' | 'clock' | 'redact'>,
  finalization: Finalization,
): Promise<Run> {
  const { run, agent } = finalization;
  if (!isTerminal(run.status) || run.finalizedAt !== null) return run;
  const events: EventPayload[] = [];
  if (runtime.hooks?.reflect) {
    try {
      const log = await readRunLog(runtime.runs, run);
      events.push(...(await runtime.hooks.reflect(run, agent, log)));
    } catch (error) {
      // The store or another dependency went away (or the process is going down): leave the run
      // unfinalized, so whoever picks it up next reflects again; every reflection write is idempotent.
      if (error instanceof AutonomaError && error.category === 'dependency') throw error;
      events.push({
        type: 'error',
        code: 'reflection_failed',
        message: `reflection failed: ${describeError(error)}`,
      });
    }
  }
  events.push({
    type: 'run-end',
    status: run.status,
    ...(run.answer !== null ? { answer: run.answer } : {}),
    ...(run.reason !== null ? { reason: run.reason } : {}),
    usage: run.usage,
  });
  const redact = runtime.redact ?? (<T>(value: T): T => value);
  const now = runtime.clock.now();
  const appended = await runtime.runs.finalize(
    run.orgId,
    run.id,
    events.map((event) => storableValue(redact(event))),
    now,
  );
  if (appended === undefined) return (await runtime.runs.get(run.orgId, run.id)) ?? run;
  for (const event of appended) finalization.sink?.(event);
  return { ...run, lastSeq: appended.at(-1)?.seq ?? run.lastSeq, finalizedAt: now };
}
