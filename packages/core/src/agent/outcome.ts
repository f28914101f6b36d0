import type { BrainDecision } from '../brains/brain.ts';
import type { EventPayload, StepOutcome } from '../protocol/events.ts';
import type { StepControl } from './control.ts';
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

/**
 * The one mapping from what ended a step to its outcome: a brain's decision, or a tool's control
 * request (which names the call that made it).
 */
export function outcomeOf(
  source: { decision: BrainDecision } | { control: StepControl; callId: string },
): StepOutcome {
  if ('control' in source) {
    const { control, callId } = source;
    switch (control.kind) {
      case 'delegate':
        return { kind: 'delegate', tasks: control.tasks.map((task) => ({ ...task, callId })), callId };
      case 'ask':
        return { kind: 'interrupt', on: 'input', question: control.question, callId };
      case 'sleep':
        return { kind: 'sleep', until: control.until, callId };
    }
  }
  const { decision } = source;
  switch (decision.kind) {
    case 'act':
      return { kind: 'continue' };
    case 'finish':
      return decision.status === 'succeeded'
        ? { kind: 'final', status: 'succeeded', answer: decision.answer }
        : { kind: 'final', status: 'failed', answer: decision.answer, reason: decision.answer };
    case 'delegate':
      return { kind: 'delegate', tasks: decision.tasks };
    case 'ask':
      return { kind: 'interrupt', on: 'input', question: decision.question };
    case 'sleep':
      return { kind: 'sleep', until: decision.until };
  }
}
