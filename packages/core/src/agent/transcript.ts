import type { TranscriptEntry } from '../brains/brain.ts';
import type { RunEvent } from '../protocol/events.ts';

/**
 * Rebuilds a run's working memory from its stored events, so a resumed run sees exactly what the
 * interrupted one saw.
 */
export function transcriptFromEvents(events: readonly RunEvent[]): TranscriptEntry[] {
  const transcript: TranscriptEntry[] = [];
  const assistantByStep = new Map<number, Extract<TranscriptEntry, { kind: 'assistant' }>>();
  const assistantFor = (step: number): Extract<TranscriptEntry, { kind: 'assistant' }> => {
    let entry = assistantByStep.get(step);
    if (!entry) {
      entry = { kind: 'assistant', step, text: '', calls: [] };
      assistantByStep.set(step, entry);
      transcript.push(entry);
    }
    return entry;
  };
  for (const event of events) {
    switch (event.type) {
      case 'model-call-end':
        if (event.text && !event.error) assistantFor(event.step).text += event.text;
        break;
      case 'tool-call-start':
        assistantFor(event.step).calls.push({ callId: event.callId, tool: event.tool, args: event.args });
        break;
      case 'tool-call-end':
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
            kind: 'note',
            step: 0,
            text: `A human denied tool call ${event.callId}${event.reason ? `: ${event.reason}` : ''}.`,
          });
        }
        break;
      default:
        break;
    }
  }
  return transcript;
}
