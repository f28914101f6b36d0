/**
 * What the metrics module exchanges with the rest of the code, without loading prom-client: the
 * gauge sources' shape (read on each scrape) and the label values. A process without metrics loads
 * this, never prom-client (which also loads @opentelemetry/api).
 */

/** The run statuses the `autonoma_runs` gauge reports (non-terminal: ended runs are counted by `_total`). */
export const gaugedRunStatuses = [
  'queued',
  'running',
  'waiting_approval',
  'waiting_children',
  'waiting_input',
  'sleeping',
] as const;

/** Queue priorities, best first. */
export const queuePriorities = ['critical', 'high', 'normal', 'low'] as const;

/** What a gauge source reports; any part may be missing (another source may report it). */
export interface GaugeSnapshot {
  /** Runs per non-terminal status, over every organization. */
  runsByStatus?: Partial<Record<(typeof gaugedRunStatuses)[number], number>>;
  /** Jobs waiting (due, not yet taken) per priority, and how long the oldest has waited. */
  queue?: Partial<Record<(typeof queuePriorities)[number], { depth: number; oldestAgeSeconds: number }>>;
  /** Registered workers with a fresh heartbeat. */
  workersAlive?: number;
  /** Runs waiting for a human to approve a tool call. */
  approvalsWaiting?: number;
}

/** Reads cluster-wide gauges; called once per scrape. */
export type GaugeSource = () => Promise<GaugeSnapshot>;

/** How a tool call ended, as the `outcome` label of `autonoma_tool_call_duration_seconds`. */
export type ToolCallOutcome = 'ok' | 'error' | 'timeout' | 'refused' | 'aborted';
