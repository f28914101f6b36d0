/**
 * The `decision` event of a model brain's step: the tools offered to the model, each with the score
 * the platform has learned for it (where it has one), what the model chose, and the model's own words
 * for it. The event explains a step the way the planner's decisions do (`autonoma explain`, the
 * dashboard's timeline); it is recorded in the step and committed with it, so a step's decision is
 * stored once, and a step finished after a crash or an approval (which asks no model) adds none.
 */
import type { ActionStats, BrainContext, BrainDecision, DecisionOption, EventOf } from '@autonoma/core';
import { aggregateStats } from '@autonoma/core';

/** Outcome statistics of the run's agent for goals like the run's (the platform reads its StatsStore). */
export type ToolStatsSource = (context: BrainContext) => Promise<readonly ActionStats[]>;

/** The option id of answering without a tool call (`#` is never part of a tool name). */
export const answerOptionId = '#answer';

/** Characters of the model's text kept as a decision's reason. */
const maxModelReasonChars = 2_000;

/** The statistics a decision is scored with, or why there are none. */
export type LearnedStats = { ok: true; stats: readonly ActionStats[] } | { ok: false; why: string };

/** Reads the statistics, never failing the step: a store error only leaves the scores absent. */
export async function readToolStats(
  source: ToolStatsSource | undefined,
  context: BrainContext,
): Promise<LearnedStats> {
  if (!source) return { ok: false, why: 'no learning statistics are connected to this brain' };
  try {
    return { ok: true, stats: await source(context) };
  } catch {
    // The store's message stays out of the run's log (it may name hosts or settings); the store's own
    // failure surfaces where the step is committed.
    return { ok: false, why: 'the learning statistics could not be read' };
  }
}

/** The model's text as a reason: trimmed, bounded, marked when cut. */
function boundedReason(text: string, max = maxModelReasonChars): string {
  const trimmed = text.trim();
  if (trimmed.length <= max) return trimmed;
  return `${trimmed.slice(0, max)}… [cut at ${max} of ${trimmed.length} characters]`;
}

const round = (value: number): number => Number(value.toFixed(4));

/** One offered tool as an option, scored by the mean reward of its past calls when it has any. */
function toolOption(
  name: string,
  totals: ReturnType<typeof aggregateStats>,
  learnedCosts: ReadonlyMap<string, number>,
): DecisionOption {
  const total = totals.get(name);
  if (!total || total.trials === 0) {
    const cost = learnedCosts.get(name);
    return {
      id: name,
      label: name,
      score: null,
      detail: { learned: false, ...(cost === undefined ? {} : { learnedCost: round(cost) }) },
    };
  }
  const successes = Math.min(total.successes, total.trials);
  return {
    id: name,
    label: name,
    score: round(total.reward / total.trials),
    detail: {
      learned: true,
      trials: total.trials,
      successes,
      learnedCost: round((total.trials + 1) / (successes + 1)),
    },
  };
}

function describeScoring(options: readonly DecisionOption[], stats: LearnedStats): string {
  const tools = options.filter((option) => option.id !== answerOptionId);
  const learned = tools.filter((option) => option.score !== null).map((option) => option.id);
  const absent = tools.filter((option) => option.score === null).map((option) => option.id);
  const meaning =
    "score: the mean reward (0 to 1) of the agent's past calls of the tool on goals like this one, from the platform's learning statistics";
  if (!stats.ok) return `${meaning}; no score is learned: ${stats.why}`;
  const parts = [meaning];
  parts.push(learned.length > 0 ? `learned for ${learned.join(', ')}` : 'no tool has a learned score yet');
  if (absent.length > 0) parts.push(`absent (no calls yet) for ${absent.join(', ')}`);
  return parts.join('; ');
}

/**
 * The decision of one model step. `decision` is what the brain returns; `text` is what the model said
 * with it (its answer when it answered). A failed model call (a failed `finish`) chose nothing, and the
 * reason says why.
 */
export function modelDecisionEvent(
  context: BrainContext,
  outcome: { decision: BrainDecision; text: string },
  stats: LearnedStats,
): EventOf<'decision'> {
  const totals = aggregateStats(stats.ok ? stats.stats : []);
  const learnedCosts = stats.ok ? context.learnedCosts : new Map<string, number>();
  const options: DecisionOption[] = [
    ...context.tools.map((tool) => toolOption(tool.name, totals, learnedCosts)),
    { id: answerOptionId, label: 'answer (no tool call)', score: null, detail: { learned: false } },
  ];
  const base = {
    type: 'decision' as const,
    step: context.step,
    about: 'next-action',
    options,
    scoring: describeScoring(options, stats),
  };
  const { decision } = outcome;
  const said = boundedReason(outcome.text);
  if (decision.kind === 'finish') {
    return decision.status === 'succeeded'
      ? { ...base, chosen: answerOptionId, reason: said, reasonSource: 'model' }
      : { ...base, chosen: null, reason: boundedReason(decision.answer), reasonSource: 'brain' };
  }
  const calls = decision.kind === 'act' ? decision.calls.map((call) => call.tool) : [];
  const chosen = calls[0] ?? null;
  const choices = calls.length > 1 ? { choices: calls } : {};
  if (said !== '') return { ...base, chosen, ...choices, reason: said, reasonSource: 'model' };
  return {
    ...base,
    chosen,
    ...choices,
    reason: `the model called ${calls.join(', ') || 'nothing'} without saying why`,
    reasonSource: 'brain',
  };
}
