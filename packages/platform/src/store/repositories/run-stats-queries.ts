/**
 * Statistics of an organization's runs over a time window, computed in SQL over the whole window (the
 * operations charts: runs by state over time, step latency, tokens and cost per agent). The same
 * statements run on PGlite and PostgreSQL. Times are epoch milliseconds; a window is `[from, to)` and
 * buckets are aligned on multiples of the bucket length since the epoch (UTC).
 */
import type { Executor } from '../driver.ts';
import { sql, type SQL } from '../sql.ts';
import { toNumber, toNumberOrNull, toStringOrNull } from './values.ts';

/** What to compute over. */
export interface RunStatsWindow {
  orgId: string;
  from: number;
  to: number;
  bucketMs: number;
}

/** Runs created in one bucket, per state they are in now. */
export interface StatusBucket {
  start: number;
  counts: Record<string, number>;
  total: number;
}

/** Step durations: how many steps, and their percentiles and extremes (null with no step). */
export interface LatencySummary {
  steps: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  meanMs: number | null;
  maxMs: number | null;
}

/** One agent's share of the window. */
export interface AgentUsage {
  agentId: string;
  /** The agent's name, or null when the agent was deleted since. */
  agent: string | null;
  /** Runs of the agent created in the window. */
  runs: number;
  modelCalls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** Everything the window holds. */
export interface RunStats {
  runsByStatus: StatusBucket[];
  stepLatency: LatencySummary & { buckets: (LatencySummary & { start: number })[] };
  agents: AgentUsage[];
}

const bucketOf = (column: SQL, bucketMs: number): SQL =>
  sql`(floor(${column}::float8 / ${bucketMs}::float8) * ${bucketMs}::float8)::bigint`;

/**
 * The org's runs that may hold events of the window: created before its end and not ended before its
 * start (an event of a step is never later than its run's end). Uses `runs_org_created_idx`.
 */
const runsAlive = (window: RunStatsWindow): SQL => sql`
  SELECT id, agent_id FROM runs
  WHERE org_id = ${window.orgId} AND created_at < ${window.to}::bigint
    AND (ended_at IS NULL OR ended_at >= ${window.from}::bigint)`;

const latencyColumns = (value: SQL): SQL => sql`
  count(${value}) AS steps,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY ${value}) AS p50,
  percentile_cont(0.9) WITHIN GROUP (ORDER BY ${value}) AS p90,
  percentile_cont(0.99) WITHIN GROUP (ORDER BY ${value}) AS p99,
  avg(${value}) AS mean,
  max(${value}) AS max`;

const latencyOf = (row: Record<string, unknown> | undefined): LatencySummary => {
  const round = (value: unknown): number | null => {
    const number = toNumberOrNull(value);
    return number === null ? null : Math.round(number * 10) / 10;
  };
  return {
    steps: row ? toNumber(row.steps) : 0,
    p50Ms: round(row?.p50),
    p90Ms: round(row?.p90),
    p99Ms: round(row?.p99),
    meanMs: round(row?.mean),
    maxMs: round(row?.max),
  };
};

async function runsByStatus(db: Executor, window: RunStatsWindow): Promise<StatusBucket[]> {
  const { rows } = await db.execute(sql`
    SELECT ${bucketOf(sql`created_at`, window.bucketMs)} AS bucket, status, count(*) AS runs
    FROM runs
    WHERE org_id = ${window.orgId} AND created_at >= ${window.from}::bigint AND created_at < ${window.to}::bigint
    GROUP BY 1, 2
    ORDER BY 1, 2`);
  const buckets = new Map<number, StatusBucket>();
  for (const row of rows) {
    const start = toNumber(row.bucket);
    const bucket = buckets.get(start) ?? { start, counts: {}, total: 0 };
    const count = toNumber(row.runs);
    bucket.counts[String(row.status)] = count;
    bucket.total += count;
    buckets.set(start, bucket);
  }
  return [...buckets.values()];
}

async function stepLatency(db: Executor, window: RunStatsWindow): Promise<RunStats['stepLatency']> {
  // Steps stored before `step-end` carried `durationMs` have no duration and are not counted.
  const duration = sql`(e.payload->>'durationMs')::float8`;
  const steps = sql`
    FROM (${runsAlive(window)}) r
    JOIN run_events e ON e.run_id = r.id
    WHERE e.type = 'step-end' AND e.at >= ${window.from}::bigint AND e.at < ${window.to}::bigint
      AND e.payload->>'durationMs' IS NOT NULL`;
  const [overall, perBucket] = await Promise.all([
    db.execute(sql`SELECT ${latencyColumns(duration)} ${steps}`),
    db.execute(sql`
      SELECT ${bucketOf(sql`e.at`, window.bucketMs)} AS bucket, ${latencyColumns(duration)} ${steps}
      GROUP BY 1 ORDER BY 1`),
  ]);
  return {
    ...latencyOf(overall.rows[0]),
    buckets: perBucket.rows.map((row) => ({ start: toNumber(row.bucket), ...latencyOf(row) })),
  };
}

async function agentUsage(db: Executor, window: RunStatsWindow): Promise<AgentUsage[]> {
  // Usage comes from the model calls themselves: a parent run's usage includes its children's, so
  // summing runs would count a delegated call twice.
  const [created, calls] = await Promise.all([
    db.execute(sql`
      SELECT agent_id, count(*) AS runs FROM runs
      WHERE org_id = ${window.orgId} AND created_at >= ${window.from}::bigint AND created_at < ${window.to}::bigint
      GROUP BY 1`),
    db.execute(sql`
      SELECT r.agent_id,
        count(*) AS model_calls,
        coalesce(sum((e.payload->'usage'->>'inputTokens')::float8), 0) AS input_tokens,
        coalesce(sum((e.payload->'usage'->>'outputTokens')::float8), 0) AS output_tokens,
        coalesce(sum((e.payload->>'costUsd')::float8), 0) AS cost_usd
      FROM (${runsAlive(window)}) r
      JOIN run_events e ON e.run_id = r.id
      WHERE e.type = 'model-call-end' AND e.at >= ${window.from}::bigint AND e.at < ${window.to}::bigint
      GROUP BY 1`),
  ]);
  const usage = new Map<string, AgentUsage>();
  const entry = (agentId: string): AgentUsage => {
    const found = usage.get(agentId) ?? {
      agentId,
      agent: null,
      runs: 0,
      modelCalls: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
    };
    usage.set(agentId, found);
    return found;
  };
  for (const row of created.rows) entry(String(row.agent_id)).runs = toNumber(row.runs);
  for (const row of calls.rows) {
    const agent = entry(String(row.agent_id));
    agent.modelCalls = toNumber(row.model_calls);
    agent.inputTokens = toNumber(row.input_tokens);
    agent.outputTokens = toNumber(row.output_tokens);
    agent.costUsd = Number(toNumber(row.cost_usd).toFixed(8));
  }
  if (usage.size > 0) {
    const { rows } = await db.execute(sql`
      SELECT id, name FROM agents WHERE org_id = ${window.orgId} AND id = ANY(${[...usage.keys()]}::text[])`);
    for (const row of rows) {
      const agent = usage.get(String(row.id));
      if (agent) agent.agent = toStringOrNull(row.name);
    }
  }
  return [...usage.values()].sort(
    (a, b) => b.costUsd - a.costUsd || b.runs - a.runs || a.agentId.localeCompare(b.agentId),
  );
}

/** The statistics of `window.orgId`'s runs in the window. */
export async function readRunStats(db: Executor, window: RunStatsWindow): Promise<RunStats> {
  const [byStatus, latency, agents] = await Promise.all([
    runsByStatus(db, window),
    stepLatency(db, window),
    agentUsage(db, window),
  ]);
  return { runsByStatus: byStatus, stepLatency: latency, agents };
}
