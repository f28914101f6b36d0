/**
 * Reusable plans: the best plan for an exact goal signature, else the most similar plan by embedding
 * cosine (pgvector's HNSW index where installed; otherwise cosine over `real[]` in SQL — an agent has
 * few plans, and the scan is bounded to its own).
 */
import type { PlanStore, ReusablePlan } from '@autonoma/core';
import { sql } from '../sql.ts';
import { queryRows, type Executor } from '../driver.ts';
import { cosineSql } from './similarity.ts';
import {
  realArrayLiteral,
  toNumber,
  toNumberArray,
  vectorDimension,
  vectorLiteral,
  jsonText,
} from './values.ts';

const planFromRow = (row: Record<string, unknown>): ReusablePlan => ({
  id: String(row.id),
  orgId: String(row.org_id),
  agentId: String(row.agent_id),
  signature: String(row.signature),
  goalText: String(row.goal_text),
  embedding: toNumberArray(row.embedding),
  steps: row.steps as ReusablePlan['steps'],
  successes: toNumber(row.successes),
  failures: toNumber(row.failures),
  createdAt: toNumber(row.created_at),
  updatedAt: toNumber(row.updated_at),
});

/** Laplace-smoothed success rate: the "best" plan for a signature. */
const successRate = sql.raw('(successes + 1)::float8 / (successes + failures + 2)');

/** Creates the {@link PlanStore}; `vectorSearch` says whether the pgvector columns exist. */
export function createPlanStore(db: Executor, vectorSearch: () => boolean): PlanStore {
  return {
    async save(plan) {
      const rows = await queryRows(
        db,
        sql`INSERT INTO plans (id, org_id, agent_id, signature, goal_text, embedding, steps, successes, failures, created_at, updated_at)
            VALUES (${plan.id}, ${plan.orgId}, ${plan.agentId}, ${plan.signature}, ${plan.goalText},
              ${realArrayLiteral(plan.embedding)}::real[], ${jsonText(plan.steps)}::jsonb, ${plan.successes}::int,
              ${plan.failures}::int, ${plan.createdAt}::bigint, ${plan.updatedAt}::bigint)
            ON CONFLICT (id) DO UPDATE SET signature = excluded.signature, goal_text = excluded.goal_text,
              embedding = excluded.embedding, steps = excluded.steps, successes = excluded.successes,
              failures = excluded.failures, updated_at = excluded.updated_at
            RETURNING *`,
      );
      const row = rows[0];
      if (row === undefined) throw new Error('plan upsert returned no row');
      return planFromRow(row);
    },

    async find(query) {
      const exact = await queryRows(
        db,
        sql`SELECT * FROM plans WHERE org_id = ${query.orgId} AND agent_id = ${query.agentId}
              AND signature = ${query.signature}
            ORDER BY ${successRate} DESC, updated_at DESC LIMIT 1`,
      );
      if (exact[0] !== undefined) return { plan: planFromRow(exact[0]), similarity: 1 };
      if (query.embedding === null || query.embedding.length === 0) return undefined;
      const useVector = vectorSearch() && query.embedding.length === vectorDimension;
      const literal = realArrayLiteral(query.embedding);
      const rows = useVector
        ? await queryRows(
            db,
            sql`SELECT * FROM (
                  SELECT *, 1 - (embedding_vector <=> ${vectorLiteral(query.embedding)}::vector) AS similarity FROM plans
                  WHERE org_id = ${query.orgId} AND agent_id = ${query.agentId} AND embedding_vector IS NOT NULL
                  ORDER BY embedding_vector <=> ${vectorLiteral(query.embedding)}::vector LIMIT 20
                ) nearest WHERE similarity >= ${query.minSimilarity}::float8
                ORDER BY similarity DESC, ${successRate} DESC LIMIT 1`,
          )
        : await queryRows(
            db,
            sql`SELECT * FROM (
                  SELECT *, ${cosineSql(sql.raw('embedding'), literal)} AS similarity FROM plans
                  WHERE org_id = ${query.orgId} AND agent_id = ${query.agentId} AND embedding IS NOT NULL
                ) scored WHERE similarity >= ${query.minSimilarity}::float8
                ORDER BY similarity DESC, ${successRate} DESC LIMIT 1`,
          );
      const row = rows[0];
      return row === undefined ? undefined : { plan: planFromRow(row), similarity: toNumber(row.similarity) };
    },

    async recordRun(outcome) {
      // One statement: the ledger row (plan, run) is the guard; the counters move only when it was new,
      // so a reflection repeated after a crash counts nothing twice. Another organization's plan gets no
      // ledger row, so it is neither counted nor reported as counted.
      const { plan } = outcome;
      const successes = outcome.success ? 1 : 0;
      const failures = outcome.success ? 0 : 1;
      const rows = await queryRows(
        db,
        sql`WITH ledger AS (
              INSERT INTO plan_runs (plan_id, run_id, success, at)
              SELECT ${outcome.planId}, ${outcome.runId}, ${outcome.success}, ${outcome.now}::bigint
              WHERE NOT EXISTS (SELECT 1 FROM plans WHERE id = ${outcome.planId} AND org_id <> ${outcome.orgId})
                AND (${plan !== undefined}
                  OR EXISTS (SELECT 1 FROM plans WHERE id = ${outcome.planId} AND org_id = ${outcome.orgId}))
              ON CONFLICT DO NOTHING
              RETURNING plan_id
            ), created AS (
              INSERT INTO plans (id, org_id, agent_id, signature, goal_text, embedding, steps, successes, failures,
                created_at, updated_at)
              SELECT ${outcome.planId}, ${outcome.orgId}, ${plan?.agentId ?? ''}, ${plan?.signature ?? ''},
                ${plan?.goalText ?? ''}, ${realArrayLiteral(plan?.embedding ?? null)}::real[],
                ${jsonText(plan?.steps ?? [])}::jsonb, ${successes}::int, ${failures}::int,
                ${outcome.now}::bigint, ${outcome.now}::bigint
              FROM ledger WHERE ${plan !== undefined}
              ON CONFLICT (id) DO UPDATE SET successes = plans.successes + ${successes}::int,
                failures = plans.failures + ${failures}::int, updated_at = excluded.updated_at
                WHERE plans.org_id = ${outcome.orgId}
              RETURNING id
            ), counted AS (
              UPDATE plans SET successes = successes + ${successes}::int, failures = failures + ${failures}::int,
                updated_at = ${outcome.now}::bigint
              FROM ledger WHERE plans.id = ledger.plan_id AND plans.org_id = ${outcome.orgId} AND ${plan === undefined}
              RETURNING plans.id
            )
            SELECT EXISTS (SELECT 1 FROM ledger) AS counted`,
      );
      return rows[0]?.counted === true;
    },

    async list(orgId, agentId) {
      const rows = await queryRows(
        db,
        sql`SELECT * FROM plans WHERE org_id = ${orgId}
              ${agentId === undefined ? sql`` : sql`AND agent_id = ${agentId}`}
            ORDER BY updated_at DESC, id`,
      );
      return rows.map(planFromRow);
    },
  };
}
