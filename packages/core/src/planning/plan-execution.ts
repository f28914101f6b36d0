import type { TranscriptEntry } from '../brains/brain.ts';
import type { ActionContract } from '../tools/contract.ts';
import { applyEffects, holds } from './tool-actions.ts';

/** Contracts by tool name. */
export type ContractMap = ReadonlyMap<string, ActionContract>;

/** The facts after running `steps` from `facts`, or undefined when a step is unknown or not applicable. */
export function simulate(
  steps: readonly string[],
  facts: readonly string[],
  contracts: ContractMap,
): string[] | undefined {
  let current = [...facts];
  for (const step of steps) {
    const contract = contracts.get(step);
    if (!contract || !holds(current, contract.preconditions)) return undefined;
    current = applyEffects(current, contract);
  }
  return current;
}

/** True when `steps` run from `facts` reach every goal fact. */
export function reaches(
  steps: readonly string[],
  facts: readonly string[],
  goal: readonly string[],
  contracts: ContractMap,
): boolean {
  const end = simulate(steps, facts, contracts);
  return end !== undefined && holds(end, goal);
}

/**
 * Tools that can stand in for the plan's next step: applicable now, adding at least the new facts
 * the planned tool adds, and leaving the rest of the plan able to reach the goal. The planned tool
 * comes first, then the others by name.
 */
export function alternativesFor(
  planned: string,
  rest: readonly string[],
  facts: readonly string[],
  goal: readonly string[],
  contracts: ContractMap,
  excluded: ReadonlySet<string>,
): string[] {
  const plannedContract = contracts.get(planned);
  if (!plannedContract) return [planned];
  const current = new Set(facts);
  const wanted = plannedContract.effects.filter((fact) => !current.has(fact));
  const others = [...contracts.keys()]
    .filter((name) => name !== planned && !excluded.has(name))
    .sort()
    .filter((name) => {
      const contract = contracts.get(name);
      if (!contract || !holds(current, contract.preconditions)) return false;
      if (!wanted.every((fact) => contract.effects.includes(fact))) return false;
      return reaches([name, ...rest], facts, goal, contracts);
    });
  return [planned, ...others];
}

/** The result of the call proposed at `pending`, when the transcript has it. */
export function resultOf(
  transcript: readonly TranscriptEntry[],
  pending: { tool: string; step: number },
): Extract<TranscriptEntry, { kind: 'tool-result' }> | undefined {
  for (let index = transcript.length - 1; index >= 0; index--) {
    const entry = transcript[index];
    if (entry?.kind === 'tool-result' && entry.tool === pending.tool && entry.step >= pending.step)
      return entry;
  }
  return undefined;
}

/** A one-paragraph answer for a finished plan: what ran and what each tool reported. */
export function describeOutcome(
  goal: readonly string[],
  done: readonly string[],
  transcript: readonly TranscriptEntry[],
): string {
  if (done.length === 0) return `The goal (${goal.join(', ')}) already held; nothing to do.`;
  const details: string[] = [];
  const seen = new Set<string>();
  for (let index = transcript.length - 1; index >= 0; index--) {
    const entry = transcript[index];
    if (entry?.kind !== 'tool-result' || !entry.ok || seen.has(entry.tool) || !done.includes(entry.tool))
      continue;
    seen.add(entry.tool);
    const result = entry.result;
    if (result === null || typeof result !== 'object') continue;
    const record = result as Record<string, unknown>;
    const summary = typeof record['summary'] === 'string' ? record['summary'] : undefined;
    const path = typeof record['reportPath'] === 'string' ? record['reportPath'] : undefined;
    if (path) details.push(`Report: ${path}`);
    if (summary) details.push(`${entry.tool}: ${summary}`);
  }
  const headline = `Reached ${goal.join(', ')} in ${done.length} action(s): ${done.join(' → ')}.`;
  return [headline, ...details.reverse()].join('\n');
}
