import type { RunStore } from '../ports/run-store.ts';
import type { RunEvent } from '../protocol/events.ts';

/** Page size when reading a whole event log. */
export const eventPageSize = 1000;

/** Every stored event of a run after `afterSeq`, in `seq` order, read page by page (stores cap one read). */
export async function readRunLog(
  runs: Pick<RunStore, 'events'>,
  run: { orgId: string; id: string },
  afterSeq = 0,
): Promise<RunEvent[]> {
  const log: RunEvent[] = [];
  let cursor = afterSeq;
  for (;;) {
    const page = await runs.events(run.orgId, run.id, cursor, eventPageSize);
    log.push(...page);
    const last = page.at(-1);
    if (page.length < eventPageSize || last === undefined) return log;
    cursor = last.seq;
  }
}
