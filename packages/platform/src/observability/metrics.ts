/**
 * Prometheus metrics (prom-client): one registry per process with every metric the dashboards and
 * alerts use (the catalog in `packages/platform/test/deploy/promql.ts`), plus prom-client's default
 * process and Node.js metrics under the `autonoma_` prefix. The rest of the code reports through the
 * methods of {@link Metrics}; cluster-wide gauges (runs by status, queue depth and age, workers alive,
 * approvals waiting) are read on each scrape from {@link GaugeSource}s (the store's: store-gauges.ts).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GaugeSnapshot, GaugeSource, ToolCallOutcome } from './gauges.ts';
import { gaugedRunStatuses, queuePriorities } from './gauges.ts';

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** Also collect prom-client's default process and Node.js metrics. @default true */
  defaultMetrics?: boolean;
  /** Told when a gauge source fails (its gauges are then left out of that scrape). */
  onGaugeError?: (error: unknown) => void;
}

/** The metrics of one process. */
export interface Metrics {
  /** The prom-client registry (to add process-specific metrics). */
  readonly registry: Registry;
  /** The `Content-Type` of {@link render}'s text. */
  readonly contentType: string;
  /** A run ended (its `run-end` was written): `autonoma_runs_total`, `autonoma_run_duration_seconds`. */
  runEnded(run: { status: string; agent: string; durationMs: number }): void;
  /** A step committed after `ms` of work (decision, tools, commit). */
  stepCommitted(ms: number): void;
  /** A tool call ended after `ms`. */
  toolCall(tool: string, outcome: ToolCallOutcome, ms: number): void;
  /** A model call ended; `model` is `<provider>:<model>`. */
  modelCall(
    model: string,
    outcome: 'ok' | 'error',
    tokens: { input: number; output: number },
    costUsd: number,
  ): void;
  /** This process lost a run's lease (its renewal was refused). */
  leaseLost(): void;
  /** A step commit was refused by the lease's fencing epoch. */
  fencedCommit(): void;
  /** The sweeper wrote jobs for `count` runs that had none. @default 1 */
  sweeperRequeue(count?: number): void;
  /** An HTTP request was answered; `route` is the route's template (`/v1/runs/:id`). */
  httpRequest(route: string, method: string, status: number, seconds: number): void;
  /** A request was refused by a rate limit (429). */
  rateLimited(): void;
  /** A login attempt failed. */
  loginFailed(): void;
  /** Adds a source of cluster-wide gauges; returns a function that removes it. */
  addGaugeSource(source: GaugeSource): () => void;
  /** Reads the gauge sources, then renders every metric in the Prometheus text format. */
  render(): Promise<string>;
}

/** Metrics whose names break Prometheus conventions (promtool: gauges ending in `_total`). */
const nonConformingDefaults = [
  'autonoma_nodejs_active_handles_total',
  'autonoma_nodejs_active_requests_total',
  'autonoma_nodejs_active_resources_total',
];

const seconds = (ms: number): number => Math.max(0, ms) / 1000;

/** Creates a registry with every Autonoma metric. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry, prefix: 'autonoma_' });
    // Same data as `autonoma_nodejs_active_handles` etc., which stay.
    for (const name of nonConformingDefaults) registry.removeSingleMetric(name);
  }
  const registers = [registry];
  const runsTotal = new Counter({
    name: 'autonoma_runs_total',
    help: 'Runs that ended, by final status and agent.',
    labelNames: ['status', 'agent'] as const,
    registers,
  });
  const runDuration = new Histogram({
    name: 'autonoma_run_duration_seconds',
    help: 'Time from a run’s creation to its end (queueing and waits for people included), by final status.',
    labelNames: ['status'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 14_400, 86_400],
    registers,
  });
  const stepDuration = new Histogram({
    name: 'autonoma_step_duration_seconds',
    help: 'Time of a committed step: context, decision, tool calls and commit.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers,
  });
  const toolDuration = new Histogram({
    name: 'autonoma_tool_call_duration_seconds',
    help: 'Time of a tool call, by tool and outcome (ok, error, timeout, refused, aborted).',
    labelNames: ['tool', 'outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers,
  });
  const modelCalls = new Counter({
    name: 'autonoma_model_calls_total',
    help: 'Model calls (each attempt), by model and outcome (ok, error).',
    labelNames: ['model', 'outcome'] as const,
    registers,
  });
  const modelTokens = new Counter({
    name: 'autonoma_model_tokens_total',
    help: 'Model tokens, by model and direction (input, output).',
    labelNames: ['model', 'direction'] as const,
    registers,
  });
  const modelCost = new Counter({
    name: 'autonoma_model_cost_usd_total',
    help: 'Model spend in US dollars, by model.',
    labelNames: ['model'] as const,
    registers,
  });
  const runs = new Gauge({
    name: 'autonoma_runs',
    help: 'Runs in each non-terminal status, over every organization (the same in every process).',
    labelNames: ['status'] as const,
    registers,
  });
  const queueDepth = new Gauge({
    name: 'autonoma_queue_depth',
    help: 'Jobs due and waiting for a worker, by priority.',
    labelNames: ['priority'] as const,
    registers,
  });
  const queueAge = new Gauge({
    name: 'autonoma_queue_oldest_job_age_seconds',
    help: 'How long the oldest waiting job has been due, by priority (0 when none waits).',
    labelNames: ['priority'] as const,
    registers,
  });
  const workersAlive = new Gauge({
    name: 'autonoma_workers_alive',
    help: 'Registered workers whose heartbeat is fresh.',
    registers,
  });
  const leaseLosses = new Counter({
    name: 'autonoma_lease_losses_total',
    help: 'Run leases this process lost (a renewal was refused).',
    registers,
  });
  const fencedCommits = new Counter({
    name: 'autonoma_fenced_commits_total',
    help: 'Step commits refused because the lease had passed to another process.',
    registers,
  });
  const sweeperRequeues = new Counter({
    name: 'autonoma_sweeper_requeues_total',
    help: 'Runs the sweeper gave a job because none was waiting or in flight.',
    registers,
  });
  const approvalsWaiting = new Gauge({
    name: 'autonoma_approvals_waiting',
    help: 'Runs waiting for a person to approve or deny a tool call.',
    registers,
  });
  const httpDuration = new Histogram({
    name: 'autonoma_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route template, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers,
  });
  const rateLimited = new Counter({
    name: 'autonoma_rate_limited_total',
    help: 'Requests refused by a rate limit (429).',
    registers,
  });
  const loginFailures = new Counter({
    name: 'autonoma_login_failures_total',
    help: 'Failed login attempts.',
    registers,
  });

  const sources = new Set<GaugeSource>();
  const clearGauges = (): void => {
    for (const gauge of [runs, queueDepth, queueAge, workersAlive, approvalsWaiting]) gauge.reset();
  };
  const apply = (snapshot: GaugeSnapshot): void => {
    if (snapshot.runsByStatus)
      for (const status of gaugedRunStatuses) runs.set({ status }, snapshot.runsByStatus[status] ?? 0);
    if (snapshot.queue)
      for (const priority of queuePriorities) {
        const waiting = snapshot.queue[priority];
        queueDepth.set({ priority }, waiting?.depth ?? 0);
        queueAge.set({ priority }, waiting?.oldestAgeSeconds ?? 0);
      }
    if (snapshot.workersAlive !== undefined) workersAlive.set(snapshot.workersAlive);
    if (snapshot.approvalsWaiting !== undefined) approvalsWaiting.set(snapshot.approvalsWaiting);
  };

  return {
    registry,
    contentType: registry.contentType,
    runEnded: ({ status, agent, durationMs }) => {
      runsTotal.inc({ status, agent });
      runDuration.observe({ status }, seconds(durationMs));
    },
    stepCommitted: (ms) => stepDuration.observe(seconds(ms)),
    toolCall: (tool, outcome, ms) => toolDuration.observe({ tool, outcome }, seconds(ms)),
    modelCall: (model, outcome, tokens, costUsd) => {
      modelCalls.inc({ model, outcome });
      // Series for both directions exist from a model's first call, even at zero.
      modelTokens.inc({ model, direction: 'input' }, Math.max(0, tokens.input));
      modelTokens.inc({ model, direction: 'output' }, Math.max(0, tokens.output));
      modelCost.inc({ model }, Math.max(0, costUsd));
    },
    leaseLost: () => leaseLosses.inc(),
    fencedCommit: () => fencedCommits.inc(),
    sweeperRequeue: (count = 1) => {
      if (count > 0) sweeperRequeues.inc(count);
    },
    httpRequest: (route, method, status, elapsed) =>
      httpDuration.observe({ route, method: method.toUpperCase(), status: String(status) }, elapsed),
    rateLimited: () => rateLimited.inc(),
    loginFailed: () => loginFailures.inc(),
    addGaugeSource: (source) => {
      sources.add(source);
      return () => {
        sources.delete(source);
      };
    },
    render: async () => {
      // A gauge nobody reported this scrape is left out rather than shown stale.
      clearGauges();
      const read = await Promise.allSettled([...sources].map((source) => source()));
      for (const outcome of read) {
        if (outcome.status === 'fulfilled') apply(outcome.value);
        else options.onGaugeError?.(outcome.reason);
      }
      return registry.metrics();
    },
  };
}
