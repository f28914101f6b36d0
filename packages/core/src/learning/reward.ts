/** One observed outcome of an action, as the reward sees it. */
export interface RewardInput {
  success: boolean;
  costUsd: number;
  latencyMs: number;
}

/** How much success, cheapness and speed count in a reward, and what "expensive" and "slow" mean. */
export interface RewardWeights {
  /** @default 0.7 */
  success: number;
  /** @default 0.2 */
  cost: number;
  /** @default 0.1 */
  latency: number;
  /** Cost at or above which the cost part is 0. @default 0.05 (USD) */
  costScaleUsd: number;
  /** Latency at or above which the latency part is 0. @default 30000 (ms) */
  latencyScaleMs: number;
}

/** The default reward weights: success matters most, then cost, then latency. */
export const defaultRewardWeights: Readonly<RewardWeights> = Object.freeze({
  success: 0.7,
  cost: 0.2,
  latency: 0.1,
  costScaleUsd: 0.05,
  latencyScaleMs: 30_000,
});

const clamp01 = (value: number): number =>
  value < 0 ? 0 : value > 1 ? 1 : Number.isFinite(value) ? value : 0;

/**
 * The reward of an outcome, in [0, 1]. A failure earns 0 (a failed call bought nothing, however
 * cheap). A success earns `success + cost·(1 − cost/costScale) + latency·(1 − latency/latencyScale)`,
 * divided by the sum of the three weights, so a free instant success earns 1.
 */
export function reward(outcome: RewardInput, weights: Partial<RewardWeights> = {}): number {
  if (!outcome.success) return 0;
  const w = { ...defaultRewardWeights, ...weights };
  const total = w.success + w.cost + w.latency;
  if (!(total > 0)) return 1;
  const cheap = 1 - clamp01(outcome.costUsd / w.costScaleUsd);
  const fast = 1 - clamp01(outcome.latencyMs / w.latencyScaleMs);
  return clamp01((w.success + w.cost * cheap + w.latency * fast) / total);
}
