import type { RunContext, TranscriptEntry } from '../protocol/context.ts';
import { runContextVersion } from '../protocol/context.ts';
import type { RunEvent } from '../protocol/events.ts';
import { extractiveSummary } from '../memory/summarize.ts';
import { entryTokens, transcriptTokens } from '../memory/working-memory.ts';
import { isControlResult } from './control.ts';
import type { GuardState } from './tool-calls.ts';
import { observeCall } from './tool-calls.ts';

/** The context of a run that has not started: nothing seen, the window at the first event. */
export const initialContext = (): RunContext => ({
  version: runContextVersion,
  windowFromSeq: 1,
  summary: null,
  open: {},
});

/** What a slice holds of a run's working memory: its persisted context and the window's transcript. */
export interface WorkingMemory {
  context: RunContext;
  /** `seq` of the last event folded in. */
  throughSeq: number;
  /** The loop guard: the last call's signature and how many times in a row it was made. */
  guard: GuardState;
  /** What the brain sees: the summary (when there is one), then the window's entries. */
  transcript: TranscriptEntry[];
  /** The estimated tokens of each transcript entry (kept up to date by the fold, not recomputed). */
  entryTokens: number[];
  /** The first event of each step in the window, oldest first: where the window may be cut. */
  stepStarts: { step: number; seq: number }[];
}

type AssistantEntry = Extract<TranscriptEntry, { kind: 'assistant' }>;

/** Opens a run's working memory from its context and the events of its window. */
export function openWorkingMemory(context: RunContext, windowEvents: readonly RunEvent[]): WorkingMemory {
  const summary: TranscriptEntry[] = context.summary
    ? [{ kind: 'summary', text: context.summary.text, coversSteps: context.summary.coversSteps }]
    : [];
  const opened = foldEvents(
    {
      context,
      throughSeq: context.windowFromSeq - 1,
      guard: { last: '', count: 0 },
      transcript: summary,
      entryTokens: summary.map(entryTokens),
      stepStarts: [],
    },
    windowEvents,
  );
  // The guard's streak, replayed from the calls the window holds, in order.
  let guard: GuardState = { last: '', count: 0 };
  for (const entry of opened.transcript)
    if (entry.kind === 'assistant')
      for (const call of entry.calls) guard = observeCall(guard, call.tool, call.args).guard;
  return { ...opened, guard };
}

/**
 * Folds committed events into working memory: what the brain sees grows by each step's model text,
 * its calls and their results, a denied approval, a question asked. Pure: returns a new value. Events
 * at or below `throughSeq` are skipped, so folding the same events twice changes nothing.
 */
export function foldEvents(memory: WorkingMemory, events: readonly RunEvent[]): WorkingMemory {
  const transcript = [...memory.transcript];
  const tokens = [...memory.entryTokens];
  /** Entries added or changed by this fold, whose token estimate is computed at its end. */
  const touched = new Set<number>();
  const stepStarts = [...memory.stepStarts];
  const open = { ...memory.context.open };
  let throughSeq = memory.throughSeq;
  // A step's calls all belong to its one assistant entry, which its results follow.
  const assistantFor = (step: number): AssistantEntry => {
    for (let index = transcript.length - 1; index >= 0; index -= 1) {
      const entry = transcript[index];
      if (entry === undefined || entry.kind === 'summary' || entry.step !== step) break;
      if (entry.kind === 'assistant') {
        // Entries are shared with the previous value: copy before changing one.
        const copy: AssistantEntry = { ...entry, calls: [...entry.calls] };
        transcript[index] = copy;
        touched.add(index);
        return copy;
      }
    }
    const entry: AssistantEntry = { kind: 'assistant', step, text: '', calls: [] };
    touched.add(transcript.push(entry) - 1);
    return entry;
  };
  const push = (entry: TranscriptEntry): void => {
    touched.add(transcript.push(entry) - 1);
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
        // An approved call runs in a later step: its call is already shown where it was requested. (A
        // call can also be open because the persisted context was saved after this very event, when a
        // slice re-reads its window: then it is not shown yet.)
        if (open[event.callId] !== undefined && shows(transcript, event.callId)) break;
        assistantFor(event.step).calls.push({ callId: event.callId, tool: event.tool, args: event.args });
        break;
      case 'tool-call-end':
        if (event.ok && isControlResult(event.result)) {
          // The call handed control back (a question, children, a sleep): its result arrives later.
          open[event.callId] = event.tool;
          break;
        }
        delete open[event.callId];
        push({
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
          push({
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
  for (const index of touched) {
    const entry = transcript[index];
    if (entry !== undefined) tokens[index] = entryTokens(entry);
  }
  return {
    ...memory,
    context: { ...memory.context, open },
    throughSeq,
    transcript,
    entryTokens: tokens,
    stepStarts,
  };
}

/**
 * Keeps working memory within `workingTokens` (the agent's `memory.workingTokens`): once the
 * transcript is over budget, the window's oldest steps are folded into the summary and the window moves
 * past them until the rest fits in three quarters of the budget (the newest step always stays). This is what bounds every prompt a model brain builds and
 * every slice's read.
 */
export function boundWorkingMemory(memory: WorkingMemory, workingTokens: number): WorkingMemory {
  const total = memory.entryTokens.reduce((sum, count) => sum + count, 0);
  if (total <= workingTokens || memory.stepStarts.length < 2) return memory;
  const summaryBudget = Math.max(64, Math.floor(workingTokens / 4));
  let cut = 0;
  let kept = memory.transcript;
  // Drop whole steps from the front until the rest, with a summary of its size, fits.
  while (cut < memory.stepStarts.length - 1) {
    cut += 1;
    const firstKept = memory.stepStarts[cut]?.step ?? 0;
    kept = memory.transcript.filter((entry) => entry.kind !== 'summary' && entry.step >= firstKept);
    // Down to three quarters of the budget: the window then moves every few steps, not at every one,
    // so the context (and its summary) is rewritten rarely.
    if (transcriptTokens(kept) + summaryBudget <= workingTokens * 0.75) break;
  }
  const boundary = memory.stepStarts[cut];
  if (boundary === undefined) return memory;
  const dropped = memory.transcript.filter((entry) => !kept.includes(entry));
  const text = extractiveSummary(dropped, summaryBudget * 4);
  const transcript: TranscriptEntry[] = [{ kind: 'summary', text, coversSteps: boundary.step - 1 }, ...kept];
  return {
    ...memory,
    context: {
      ...memory.context,
      windowFromSeq: boundary.seq,
      summary: { text, coversSteps: boundary.step - 1 },
    },
    transcript,
    entryTokens: transcript.map(entryTokens),
    stepStarts: memory.stepStarts.slice(cut),
  };
}

/** True when an assistant entry of the transcript shows the call. */
const shows = (transcript: readonly TranscriptEntry[], callId: string): boolean =>
  transcript.some(
    (entry) => entry.kind === 'assistant' && entry.calls.some((call) => call.callId === callId),
  );
