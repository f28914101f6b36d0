import type { TranscriptEntry } from '../brains/brain.ts';
import type { RunEvent } from '../protocol/events.ts';

/**
 * Rebuilds a run's working memory from its stored events, so a resumed run sees exactly what the
 * interrupted one saw.
 */
export function transcriptFromEvents(events: readonly RunEvent[]): TranscriptEntry[] {
  const transcript: TranscriptEntry[] = [];
  createTranscriptBuilder(transcript)(events);
  return transcript;
}

/**
 * An incremental builder: each call appends the entries of more events to `transcript`, remembering
 * the calls seen so far (an approved call runs in a later step under its original id).
 */
export function createTranscriptBuilder(
  transcript: TranscriptEntry[],
): (events: readonly RunEvent[]) => void {
  const seenCalls = new Map<string, string>();
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
  return (events) => {
    for (const event of events) {
      switch (event.type) {
        case 'model-call-end':
          if (event.text && !event.error) assistantFor(event.step).text += event.text;
          break;
        case 'approval-request':
        case 'tool-call-start':
          // An approved call runs in a later step under its original id: the brain made it once.
          if (!seenCalls.has(event.callId))
            assistantFor(event.step).calls.push({ callId: event.callId, tool: event.tool, args: event.args });
          seenCalls.set(event.callId, event.tool);
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
              kind: 'tool-result',
              step: 0,
              callId: event.callId,
              tool: seenCalls.get(event.callId) ?? 'unknown',
              ok: false,
              error: {
                code: 'denied',
                message: `a human denied this call${event.reason ? `: ${event.reason}` : ''}`,
              },
            });
          }
          break;
        default:
          break;
      }
    }
  };
}
