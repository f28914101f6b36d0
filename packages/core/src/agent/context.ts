import type { RunContext, TranscriptEntry } from '../protocol/context.ts';
import { runContextVersion } from '../protocol/context.ts';
import type { RunEvent } from '../protocol/events.ts';
import { extractiveSummary } from '../memory/summarize.ts';
import { transcriptTokens } from '../memory/working-memory.ts';
import { isControlResult } from './control.ts';

/** The context of a run that has not started: nothing seen, the window at the first event. */
export const initialContext = (): RunContext => ({
  version: runContextVersion,
  throughSeq: 0,
  windowFromSeq: 1,
  summary: null,
  open: {},
  guard: { last: '', count: 0 },
});

/** What a slice holds of a run's working memory: its persisted context and the window's transcript. */
export interface WorkingMemory {
  context: RunContext;
  /** What the brain sees: the summary (when there is one), then the window's entries. */
  transcript: TranscriptEntry[];
  /** The first event of each step in the window, oldest first: where the window may be cut. */
  stepStarts: { step: number; seq: number }[];
}

type AssistantEntry = Extract<TranscriptEntry, { kind: 'assistant' }>;

/** Opens a run's working memory from its context and the events of its window. */
export function openWorkingMemory(context: RunContext, windowEvents: readonly RunEvent[]): WorkingMemory {
  const summary: TranscriptEntry[] = context.summary
    ? [{ kind: 'summary', text: context.summary.text, coversSteps: context.summary.coversSteps }]
    : [];
  // The window's events are folded from scratch: the context's `throughSeq` is where they end.
  return foldEvents(
    { context: { ...context, throughSeq: context.windowFromSeq - 1 }, transcript: summary, stepStarts: [] },
    windowEvents,
  );
}

/**
 * Folds committed events into working memory: what the brain sees grows by each step's model text,
 * its calls and their results, a denied approval, a question asked. Pure: returns a new value. Events
 * at or below the context's `throughSeq` are skipped, so folding the same events twice changes nothing.
 */
export function foldEvents(memory: WorkingMemory, events: readonly RunEvent[]): WorkingMemory {
  const transcript = [...memory.transcript];
  const stepStarts = [...memory.stepStarts];
  const open = { ...memory.context.open };
  let throughSeq = memory.context.throughSeq;
  // A step's calls all belong to its one assistant entry, which its results follow.
  const assistantFor = (step: number): AssistantEntry => {
    for (let index = transcript.length - 1; index >= 0; index -= 1) {
      const entry = transcript[index];
      if (entry === undefined || entry.kind === 'summary' || entry.step !== step) break;
      if (entry.kind === 'assistant') {
        // Entries are shared with the previous value: copy before changing one.
        const copy: AssistantEntry = { ...entry, calls: [...entry.calls] };
        transcript[index] = copy;
        return copy;
      }
    }
    const entry: AssistantEntry = { kind: 'assistant', step, text: '', calls: [] };
    transcript.push(entry);
    return entry;
  };
  for (const event of events) {
    if (event.seq <= throughSeq) continue;
    throughSeq = event.seq;
    switch (event.type) {
      case 'step-start':
        stepStarts.push({ step: event.step, seq: event.seq });
        break;
      case 'model-call-end':
        if (event.text && !event.error) assistantFor(event.step).text += event.text;
        break;
      case 'approval-request':
        // The call waits for a human; it runs in a later step under this id, once.
        assistantFor(event.step).calls.push({ callId: event.callId, tool: event.tool, args: event.args });
        open[event.callId] = event.tool;
        break;
      case 'tool-call-start':
        if (open[event.callId] !== undefined) break;
        assistantFor(event.step).calls.push({ callId: event.callId, tool: event.tool, args: event.args });
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
  return { context: { ...memory.context, throughSeq, open }, transcript, stepStarts };
}

/**
 * Keeps working memory within `workingTokens` (the agent's `memory.workingTokens`): while the
 * transcript is over budget, the window's oldest step is folded into the summary and the window moves
 * past it (the newest step always stays). This is what bounds every prompt a model brain builds and
 * every slice's read.
 */
export function boundWorkingMemory(memory: WorkingMemory, workingTokens: number): WorkingMemory {
  if (transcriptTokens(memory.transcript) <= workingTokens || memory.stepStarts.length < 2) return memory;
  const summaryBudget = Math.max(64, Math.floor(workingTokens / 4));
  let cut = 0;
  let kept = memory.transcript;
  // Drop whole steps from the front until the rest, with a summary of its size, fits.
  while (cut < memory.stepStarts.length - 1) {
    cut += 1;
    const firstKept = memory.stepStarts[cut]?.step ?? 0;
    kept = memory.transcript.filter((entry) => entry.kind !== 'summary' && entry.step >= firstKept);
    if (transcriptTokens(kept) + summaryBudget <= workingTokens) break;
  }
  const boundary = memory.stepStarts[cut];
  if (boundary === undefined) return memory;
  const dropped = memory.transcript.filter((entry) => !kept.includes(entry));
  const text = extractiveSummary(dropped, summaryBudget * 4);
  return {
    context: {
      ...memory.context,
      windowFromSeq: boundary.seq,
      summary: { text, coversSteps: boundary.step - 1 },
    },
    transcript: [{ kind: 'summary', text, coversSteps: boundary.step - 1 }, ...kept],
    stepStarts: memory.stepStarts.slice(cut),
  };
}
