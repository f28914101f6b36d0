/** A run's state as a coloured badge. */
import type { RunStatus } from '../api/types.ts';

/** Every run state and how it looks; a new state fails to compile until it is given a tone. */
export const statusTone: Record<RunStatus, 'neutral' | 'active' | 'waiting' | 'good' | 'bad'> = {
  queued: 'neutral',
  running: 'active',
  waiting_approval: 'waiting',
  waiting_children: 'waiting',
  waiting_input: 'waiting',
  sleeping: 'waiting',
  succeeded: 'good',
  failed: 'bad',
  cancelled: 'neutral',
  budget_exceeded: 'bad',
  needs_review: 'bad',
};

/** The run states, in the contract's order. */
export const runStatuses = Object.keys(statusTone) as RunStatus[];

/** True for the states a run ends in. */
export const isTerminal = (status: RunStatus): boolean =>
  ['succeeded', 'failed', 'cancelled', 'budget_exceeded', 'needs_review'].includes(status);

/** The badge. */
export function StatusBadge({ status }: { status: RunStatus | 'pending' }) {
  const tone = status === 'pending' ? 'neutral' : statusTone[status];
  return <span className={`badge badge-${tone}`}>{status.replace(/_/g, ' ')}</span>;
}
