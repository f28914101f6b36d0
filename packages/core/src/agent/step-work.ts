import type { ToolCallCompletion } from '../ports/run-store.ts';
import type { EventPayload, StepOutcome } from '../protocol/events.ts';
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
    work.outcome = outcomeOf({ control: result.control, callId: call.callId });
  }
}
