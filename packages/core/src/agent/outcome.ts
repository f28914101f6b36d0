import type { EventPayload, StepOutcome } from '../protocol/events.ts';
import type { RunStatus, Usage } from '../protocol/run.ts';

/** The run state a step outcome leads to. */
export function statusAfter(outcome: StepOutcome): RunStatus {
  switch (outcome.kind) {
    case 'continue':
      return 'running';
    case 'final':
      return outcome.status;
    case 'delegate':
      return 'waiting_children';
    case 'interrupt':
      return outcome.on === 'approval' ? 'waiting_approval' : 'waiting_input';
    case 'sleep':
      return 'sleeping';
  }
}

/** Usage after a step: one more step, its model calls and tokens, its tool calls and its duration. */
export function addStepUsage(
  before: Usage,
  events: readonly EventPayload[],
  toolCalls: number,
  elapsedMs: number,
): Usage {
  const usage = {
    ...before,
    steps: before.steps + 1,
    toolCalls: before.toolCalls + toolCalls,
    wallMs: before.wallMs + elapsedMs,
  };
  for (const event of events) {
    if (event.type !== 'model-call-end') continue;
    usage.modelCalls += 1;
    usage.inputTokens += event.usage.inputTokens;
    usage.outputTokens += event.usage.outputTokens;
    usage.costUsd += event.costUsd;
  }
  return usage;
}
