import type { RunContext, TranscriptEntry } from '../protocol/context.ts';
import { runContextVersion } from '../protocol/context.ts';
import type { RunEvent } from '../protocol/events.ts';
import { boundTranscript } from '../memory/working-memory.ts';
import { isControlResult } from './control.ts';

/** The context of a run that has not started: nothing seen, nothing prepared. */
export const initialContext = (): RunContext => ({
  version: runContextVersion,
  throughSeq: 0,
  transcript: [],
  open: {},
  guard: { last: '', count: 0 },
  preparation: { recalled: [], reusablePlan: null, learnedCosts: [] },
});

type AssistantEntry = Extract<TranscriptEntry, { kind: 'assistant' }>;

/**
 * Folds committed events into a context: what the brain sees grows by the step's model text, its calls
 * and their results, a denied approval, a question asked. Pure: returns a new context. Events at or
 * below `throughSeq` are skipped, so folding the same events twice changes nothing.
 */
export function foldEvents(context: RunContext, events: readonly RunEvent[]): RunContext {
  const transcript = [...context.transcript];
  const open = { ...context.open };
  let throughSeq = context.throughSeq;
  // A step's calls all belong to its one assistant entry, which its results follow.
  const assistantFor = (step: number): AssistantEntry => {
    for (let index = transcript.length - 1; index >= 0; index -= 1) {
      const entry = transcript[index];
      if (entry === undefined || entry.kind === 'summary' || entry.step !== step) break;
      if (entry.kind === 'assistant') return entry;
    }
    const entry: AssistantEntry = { kind: 'assistant', step, text: '', calls: [] };
    transcript.push(entry);
    return entry;
  };
  const replaceLast = (entry: AssistantEntry): AssistantEntry => {
    // Entries are shared with the previous context: copy before changing one.
    const copy = { ...entry, calls: [...entry.calls] };
    transcript[transcript.lastIndexOf(entry)] = copy;
    return copy;
  };
  for (const event of events) {
    if (event.seq <= throughSeq) continue;
    throughSeq = event.seq;
    switch (event.type) {
      case 'model-call-end':
        if (event.text && !event.error) {
          const entry = replaceLast(assistantFor(event.step));
          entry.text += event.text;
        }
        break;
      case 'approval-request':
        // The call waits for a human; it runs in a later step under this id, once.
        replaceLast(assistantFor(event.step)).calls.push({
          callId: event.callId,
          tool: event.tool,
          args: event.args,
        });
        open[event.callId] = event.tool;
        break;
      case 'tool-call-start':
        if (open[event.callId] !== undefined) break;
        replaceLast(assistantFor(event.step)).calls.push({
          callId: event.callId,
          tool: event.tool,
          args: event.args,
        });
        break;
      case 'tool-call-end':
        if (event.ok && isControlResult(event.result)) {
          // The call handed control back (a question, children, a sleep): its result arrives later.
          open[event.callId] = event.tool;
          break;
        }
        delete open[event.callId];
        transcript.push({
          kind: 'tool-result',
          step: event.step,
          callId: event.callId,
          tool: event.tool,
          ok: event.ok,
          ...(event.ok ? { result: event.result } : { error: event.error }),
        });
        break;
      case 'approval-resolve':
        if (!event.approved) {
          transcript.push({
            kind: 'tool-result',
            step: 0,
            callId: event.callId,
            tool: open[event.callId] ?? 'unknown',
            ok: false,
            error: {
              code: 'denied',
              message: `a human denied this call${event.reason ? `: ${event.reason}` : ''}`,
            },
          });
          delete open[event.callId];
        }
        break;
      case 'step-end':
        if (event.outcome.kind === 'interrupt' && event.outcome.question)
          transcript.push({
            kind: 'note',
            step: event.step,
            text: `asked the user: ${event.outcome.question}`,
          });
        break;
      default:
        break;
    }
  }
  return { ...context, throughSeq, transcript, open };
}

/**
 * Bounds the context's transcript to `workingTokens` (the agent's `memory.workingTokens`): the oldest
 * entries are folded into one summary entry. This is what bounds every prompt a model brain builds.
 */
export function boundContext(context: RunContext, workingTokens: number): RunContext {
  return { ...context, transcript: boundTranscript(context.transcript, { budgetTokens: workingTokens }) };
}
