import type {
  Brain,
  BrainContext,
  BrainDecision,
  EventPayload,
  ProposedCall,
  RunEvent,
} from '@autonoma/core';

/** Step number inside a call key `runId:step:index`. */
const keyPart = (callId: string, from: number): number => Number(callId.split(':').at(from) ?? NaN);

/** The calls the brain proposed at each step (approval requests included), in call order. */
function decisionsByStep(events: readonly RunEvent[]): Map<number, { callId: string; call: ProposedCall }[]> {
  const byStep = new Map<number, { callId: string; call: ProposedCall }[]>();
  for (const event of events) {
    if (event.type !== 'tool-call-start' && event.type !== 'approval-request') continue;
    // A call the loop finished later (after an approval or a crash) keeps the key of its deciding step.
    if (keyPart(event.callId, -2) !== event.step) continue;
    const calls = byStep.get(event.step) ?? [];
    if (!calls.some((entry) => entry.callId === event.callId))
      calls.push({ callId: event.callId, call: { tool: event.tool, args: event.args } });
    byStep.set(event.step, calls);
  }
  for (const calls of byStep.values()) calls.sort((a, b) => keyPart(a.callId, -1) - keyPart(b.callId, -1));
  return byStep;
}

/**
 * A brain that says again what was recorded: at each step the calls proposed then, and at the final
 * step the recorded finish. It re-emits the step's recorded `decision` and `plan-update` events so the
 * replayed log explains itself, and asks no model and no planner.
 */
export function createReplayBrain(events: readonly RunEvent[]): Brain {
  const decisions = decisionsByStep(events);
  const explanations = new Map<number, EventPayload[]>();
  const finals = new Map<number, { status: 'succeeded' | 'failed'; answer: string }>();
  let name = 'brain';
  for (const event of events) {
    if (event.type === 'run-start') name = event.brain;
    if (event.type === 'decision' || event.type === 'plan-update') {
      const { runId: _runId, seq: _seq, at: _at, ...payload } = event;
      explanations.set(event.step, [...(explanations.get(event.step) ?? []), payload]);
    }
    if (event.type === 'step-end' && event.outcome.kind === 'final') {
      const { status, answer, reason } = event.outcome;
      if (status === 'succeeded' || status === 'failed')
        finals.set(event.step, { status, answer: answer ?? reason ?? '' });
    }
  }
  return {
    name: `replay:${name}`,
    async decide(context: BrainContext): Promise<BrainDecision> {
      for (const payload of explanations.get(context.step) ?? []) context.emit(payload);
      const calls = decisions.get(context.step);
      if (calls && calls.length > 0) return { kind: 'act', calls: calls.map((entry) => entry.call) };
      const final = finals.get(context.step);
      if (final) return { kind: 'finish', status: final.status, answer: final.answer };
      return {
        kind: 'finish',
        status: 'failed',
        answer: `replay: no decision was recorded for step ${context.step}`,
      };
    },
  };
}
