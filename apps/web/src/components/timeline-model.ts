/**
 * Turns a run's event log (and the live `text-delta`s) into the rows the timeline shows: one row per
 * thing a person reads — a step, a decision, a tool call (its start and end joined), the model's text,
 * an approval (request and resolution joined), a delegation, a warning, the end. Pure, so the page can
 * rebuild it on every event and the tests can check it without a browser.
 */
import type { EventOf, RunEvent } from '../api/types.ts';

/** A tool call: its start, and its end once it came. */
export interface ToolCallRow {
  kind: 'tool-call';
  key: string;
  step: number;
  start: EventOf<'tool-call-start'> | undefined;
  end: EventOf<'tool-call-end'> | undefined;
}

/** An approval request, and its resolution once it came. */
export interface ApprovalRow {
  kind: 'approval';
  key: string;
  step: number;
  request: EventOf<'approval-request'>;
  resolve: EventOf<'approval-resolve'> | undefined;
}

/** The model's text of a step: streaming (`live`) until the step's model call ended. */
export interface TextRow {
  kind: 'text';
  key: string;
  step: number;
  text: string;
  live: boolean;
}

/** A question the run asked its user (`ask_user`), answered or not. */
export interface QuestionRow {
  kind: 'question';
  key: string;
  step: number;
  callId: string | undefined;
  question: string;
}

/** An event shown on its own. */
export interface EventRow {
  kind: 'event';
  key: string;
  event: Exclude<
    RunEvent,
    { type: 'tool-call-start' | 'tool-call-end' | 'approval-request' | 'approval-resolve' | 'text-delta' }
  >;
}

/** One row of the timeline. */
export type TimelineRow = ToolCallRow | ApprovalRow | TextRow | QuestionRow | EventRow;

/** Text streamed so far per step, from `text-delta` events (never stored). */
export type LiveText = ReadonlyMap<number, string>;

/**
 * The rows of a log. `liveText` is the text streamed for steps whose `model-call-end` has not come
 * yet; a step's stored `model-call-end` text replaces it.
 */
export function buildTimeline(events: readonly RunEvent[], liveText: LiveText = new Map()): TimelineRow[] {
  const rows: TimelineRow[] = [];
  const calls = new Map<string, ToolCallRow>();
  const approvals = new Map<string, ApprovalRow>();
  const textSteps = new Set<number>();
  for (const event of events) {
    switch (event.type) {
      case 'text-delta':
        break;
      case 'tool-call-start': {
        const row: ToolCallRow = {
          kind: 'tool-call',
          key: `call:${event.callId}`,
          step: event.step,
          start: event,
          end: undefined,
        };
        const existing = calls.get(event.callId);
        if (existing) existing.start = event;
        else {
          calls.set(event.callId, row);
          rows.push(row);
        }
        break;
      }
      case 'tool-call-end': {
        const existing = calls.get(event.callId);
        if (existing) existing.end = event;
        else {
          const row: ToolCallRow = {
            kind: 'tool-call',
            key: `call:${event.callId}`,
            step: event.step,
            start: undefined,
            end: event,
          };
          calls.set(event.callId, row);
          rows.push(row);
        }
        break;
      }
      case 'approval-request': {
        const row: ApprovalRow = {
          kind: 'approval',
          key: `approval:${event.callId}`,
          step: event.step,
          request: event,
          resolve: undefined,
        };
        approvals.set(event.callId, row);
        rows.push(row);
        break;
      }
      case 'approval-resolve': {
        const existing = approvals.get(event.callId);
        if (existing) existing.resolve = event;
        break;
      }
      case 'model-call-end':
        rows.push({ kind: 'event', key: `seq:${event.seq}`, event });
        if (event.text) {
          textSteps.add(event.step);
          rows.push({
            kind: 'text',
            key: `text:${event.seq}`,
            step: event.step,
            text: event.text,
            live: false,
          });
        }
        break;
      case 'step-end':
        if (event.outcome.kind === 'interrupt' && event.outcome.on === 'input')
          rows.push({
            kind: 'question',
            key: `question:${event.seq}`,
            step: event.step,
            callId: event.outcome.callId,
            question: event.outcome.question ?? '(no question text)',
          });
        rows.push({ kind: 'event', key: `seq:${event.seq}`, event });
        break;
      default:
        rows.push({ kind: 'event', key: `seq:${event.seq}`, event });
    }
  }
  for (const [step, text] of [...liveText].sort(([a], [b]) => a - b)) {
    if (textSteps.has(step) || text === '') continue;
    rows.push({ kind: 'text', key: `live:${step}`, step, text, live: true });
  }
  return rows;
}

/** The approval requests not resolved yet. */
export function pendingApprovals(events: readonly RunEvent[]): EventOf<'approval-request'>[] {
  const resolved = new Set(
    events.filter((event) => event.type === 'approval-resolve').map((event) => event.callId),
  );
  return events.filter(
    (event): event is Extract<RunEvent, { type: 'approval-request' }> =>
      event.type === 'approval-request' && !resolved.has(event.callId),
  );
}

/** The question the run waits on: the last step's `input` interrupt, if the run waits for input. */
export function openQuestion(events: readonly RunEvent[]): { callId?: string; question: string } | undefined {
  for (let index = events.length - 1; index >= 0; index -= 1) {
    const event = events[index] as RunEvent;
    if (event.type === 'step-end') {
      if (event.outcome.kind === 'interrupt' && event.outcome.on === 'input')
        return {
          question: event.outcome.question ?? '(no question text)',
          ...(event.outcome.callId ? { callId: event.outcome.callId } : {}),
        };
      return undefined;
    }
  }
  return undefined;
}
