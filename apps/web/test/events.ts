/** Events for the component tests, shaped by core's protocol types. */
import type { EventOf, EventType, RunEvent } from '../src/api/types.ts';

/** A stored event of `type` with the next `seq` (after `afterSeq`). */
export function eventFactory(runId = 'run_test', afterSeq = 0) {
  let seq = afterSeq;
  return <T extends EventType>(type: T, payload: Omit<EventOf<T>, 'type'>): RunEvent => {
    seq += type === 'text-delta' ? 0 : 1;
    return {
      type,
      ...payload,
      runId,
      seq: type === 'text-delta' ? 0 : seq,
      at: 1_700_000_000_000 + seq,
    } as unknown as RunEvent;
  };
}
