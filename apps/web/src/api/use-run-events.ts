/**
 * A run's events, live: the stored log and then live events over SSE, with `text-delta`s gathered per
 * step. Events arriving in a burst (a long log on first load) are applied once per animation frame,
 * so a 2,000-event run renders in a handful of commits instead of 2,000.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useApi } from './session.tsx';
import type { RunEvent } from './types.ts';

/** What {@link useRunEvents} returns. */
export interface RunEventsState {
  events: RunEvent[];
  /** Text streamed per step (ephemeral `text-delta`s). */
  liveText: Map<number, string>;
  /** True once the stream ended after `run-end`. */
  ended: boolean;
  error: string | undefined;
}

const empty = (): RunEventsState => ({ events: [], liveText: new Map(), ended: false, error: undefined });

/** Events that change what the run's own resource shows (status, usage, children). */
const changesRun = new Set<RunEvent['type']>([
  'step-end',
  'run-end',
  'approval-request',
  'approval-resolve',
  'delegate-start',
  'delegate-end',
]);

const nextFrame = (callback: () => void): void => {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(callback);
  else setTimeout(callback, 16);
};

/** Follows the events of `runId`. */
export function useRunEvents(runId: string): RunEventsState {
  const client = useApi();
  const queries = useQueryClient();
  const [state, setState] = useState<RunEventsState>(empty);

  useEffect(() => {
    setState(empty());
    const abort = new AbortController();
    let pending: RunEvent[] = [];
    let scheduled = false;
    const flush = (): void => {
      scheduled = false;
      const batch = pending;
      pending = [];
      if (batch.length === 0 || abort.signal.aborted) return;
      setState((previous) => {
        const events = [...previous.events];
        const liveText = new Map(previous.liveText);
        for (const event of batch) {
          if (event.type === 'text-delta')
            liveText.set(event.step, (liveText.get(event.step) ?? '') + event.delta);
          else events.push(event);
          if (event.type === 'model-call-end') liveText.delete(event.step);
        }
        return { ...previous, events, liveText };
      });
      if (batch.some((event) => changesRun.has(event.type)))
        void queries.invalidateQueries({ queryKey: ['run', runId] });
    };
    void client.streamRunEvents(runId, {
      afterSeq: 0,
      signal: abort.signal,
      onEvent: (event) => {
        pending.push(event);
        if (!scheduled) {
          scheduled = true;
          // The first event of a batch: the live-update latency is measured from here to the
          // timeline's commit (`autonoma:timeline-commit`), in the browser test.
          performance.mark('autonoma:events-received');
          nextFrame(flush);
        }
      },
      onEnd: () => {
        nextFrame(() => {
          flush();
          setState((previous) => ({ ...previous, ended: true }));
          void queries.invalidateQueries({ queryKey: ['run', runId] });
        });
      },
      onError: (error) => setState((previous) => ({ ...previous, error: error.message })),
    });
    return () => abort.abort();
  }, [client, queries, runId]);

  return state;
}
