/** Per-(org, agent, signature, action) outcome statistics, accumulated by UPSERT. */
import type { ActionStats, StatsStore } from '@autonoma/core';
import { sql } from '../sql.ts';
import { queryRows, type Executor } from '../driver.ts';
import { toNumber } from './values.ts';

const statsFromRow = (row: Record<string, unknown>): ActionStats => ({
  agentId: String(row.agent_id),
  signature: String(row.signature),
  action: String(row.action),
  trials: toNumber(row.trials),
  successes: toNumber(row.successes),
  totalReward: toNumber(row.total_reward),
  totalCostUsd: toNumber(row.total_cost_usd),
  totalLatencyMs: toNumber(row.total_latency_ms),
  updatedAt: toNumber(row.updated_at),
});

/** Creates the {@link StatsStore} over an {@link Executor}. */
export function createStatsStore(db: Executor): StatsStore {
  return {
    async record(outcome) {
      await db.execute(
        sql`INSERT INTO action_stats (org_id, agent_id, signature, action, trials, successes, total_reward,
              total_cost_usd, total_latency_ms, updated_at)
            VALUES (${outcome.orgId}, ${outcome.agentId}, ${outcome.signature}, ${outcome.action}, 1,
              ${outcome.success ? 1 : 0}::int, ${outcome.reward}::float8, ${outcome.costUsd}::float8,
              ${outcome.latencyMs}::float8, ${outcome.now}::bigint)
            ON CONFLICT (org_id, agent_id, signature, action) DO UPDATE SET
              trials = action_stats.trials + 1,
              successes = action_stats.successes + excluded.successes,
              total_reward = action_stats.total_reward + excluded.total_reward,
              total_cost_usd = action_stats.total_cost_usd + excluded.total_cost_usd,
              total_latency_ms = action_stats.total_latency_ms + excluded.total_latency_ms,
              updated_at = GREATEST(action_stats.updated_at, excluded.updated_at)`,
      );
    },
    async get(orgId, agentId, signature) {
      const rows = await queryRows(
        db,
        sql`SELECT * FROM action_stats WHERE org_id = ${orgId} AND agent_id = ${agentId} AND signature = ${signature}
            ORDER BY action`,
      );
      return rows.map(statsFromRow);
    },
    async list(orgId, agentId) {
      const rows = await queryRows(
        db,
        sql`SELECT * FROM action_stats WHERE org_id = ${orgId}
              ${agentId === undefined ? sql`` : sql`AND agent_id = ${agentId}`}
            ORDER BY agent_id, signature, action`,
      );
      return rows.map(statsFromRow);
    },
  };
}
