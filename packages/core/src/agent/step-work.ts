import type { ToolCallCompletion } from '../ports/run-store.ts';
import type { EventPayload, StepOutcome } from '../protocol/events.ts';
import type { Usage } from '../protocol/run.ts';
import { outcomeOf } from './outcome.ts';
import type { ToolObservation } from './runtime.ts';
import type { CallResult, GuardState } from './tool-calls.ts';

/** What one step produced before it is committed. */
export interface StepWork {
  outcome: StepOutcome;
  completions: ToolCallCompletion[];
  observations: ToolObservation[];
  toolCalls: number;
  brainState: unknown;
  guard: GuardState;
  /** When the step started (its duration counts toward the wall-time budget). */
  startedAt: number;
  /** Usage of the children whose outcomes this step records, added to the run's. */
  rolledUp?: Usage;
}

/** Adds one call's result to the step. */
export function collect(
  work: StepWork,
  result: CallResult,
  call: { tool: string; step: number; callId: string },
  emit: (event: EventPayload) => void,
): void {
  for (const event of result.events) emit(event);
  if (result.completion) work.completions.push(result.completion);
  if (result.executed) {
    work.toolCalls += 1;
    work.observations.push({
      tool: call.tool,
      ok: result.outcome.ok,
      latencyMs: result.latencyMs,
      step: call.step,
    });
  }
  if (result.review !== undefined) {
    emit({ type: 'error', step: call.step, code: 'call_mismatch', message: result.review });
    work.outcome = { kind: 'final', status: 'needs_review', reason: result.review };
  } else if (result.control !== undefined) {
    work.outcome = settleControl(work.outcome, outcomeOf({ control: result.control, callId: call.callId }), {
      step: call.step,
      emit,
    });
  }
}

/**
 * The step's outcome once a call handed control back. Several `delegate` calls in one step start their
 * children together; a question or sleep asked in a step that already delegated is not taken (the run
 * waits for its children first), which the brain is told.
 */
function settleControl(
  current: StepOutcome,
  next: StepOutcome,
  at: { step: number; emit: (event: EventPayload) => void },
): StepOutcome {
  if (current.kind !== 'delegate') return next;
  if (next.kind === 'delegate') return { kind: 'delegate', tasks: [...current.tasks, ...next.tasks] };
  at.emit({
    type: 'error',
    step: at.step,
    code: 'control_conflict',
    message: `a ${next.kind === 'interrupt' ? 'question' : next.kind} in a step that delegated was not taken: the run waits for its children first`,
  });
  return current;
}

/** True while a step's calls may go on: nothing ended it, or it only delegated so far. */
export const stepGoesOn = (outcome: StepOutcome): boolean =>
  outcome.kind === 'continue' || outcome.kind === 'delegate';
