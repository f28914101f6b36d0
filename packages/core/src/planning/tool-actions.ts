import type { ActionContract } from '../tools/contract.ts';
import type { ToolDescriptor } from '../tools/define-tool.ts';
import type { PlanAction } from './types.ts';

/** The planner actions of a tool set: one per tool that declares a contract; the others are ignored. */
export function actionsFromTools(tools: readonly ToolDescriptor[]): PlanAction[] {
  const actions: PlanAction[] = [];
  for (const tool of tools) {
    if (!tool.contract) continue;
    actions.push({
      name: tool.name,
      preconditions: tool.contract.preconditions,
      effects: tool.contract.effects,
      deletes: tool.contract.deletes ?? [],
      cost: tool.contract.cost ?? 1,
    });
  }
  return actions;
}

/** The facts after an action: deletes removed, then effects added. Sorted, for stable state. */
export function applyEffects(
  facts: Iterable<string>,
  contract: Pick<ActionContract, 'effects' | 'deletes'>,
): string[] {
  const next = new Set(facts);
  for (const fact of contract.deletes ?? []) next.delete(fact);
  for (const fact of contract.effects) next.add(fact);
  return [...next].sort();
}

/** True when every fact of `required` is in `facts`. */
export function holds(facts: ReadonlySet<string> | readonly string[], required: readonly string[]): boolean {
  const set = facts instanceof Set ? facts : new Set(facts as readonly string[]);
  return required.every((fact) => set.has(fact));
}
