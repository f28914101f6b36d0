import type { Brain, BrainContext, BrainDecision } from '../brains/brain.ts';

/** One scripted step: a fixed decision or a function of the context. */
export type ScriptedStep =
  BrainDecision | ((context: BrainContext) => BrainDecision | Promise<BrainDecision>);

/**
 * A brain that answers from a script, step by step (`script[context.step - 1]`), so a resumed run
 * gets the same decision for the same step. Past the end it finishes successfully.
 */
export class ScriptedBrain implements Brain {
  readonly name = 'scripted';
  readonly #script: readonly ScriptedStep[];
  /** Contexts seen, in order. */
  readonly seen: BrainContext[] = [];

  constructor(script: readonly ScriptedStep[]) {
    this.#script = script;
  }

  async decide(context: BrainContext): Promise<BrainDecision> {
    this.seen.push(context);
    const entry = this.#script[context.step - 1];
    if (entry === undefined) return { kind: 'finish', status: 'succeeded', answer: 'script finished' };
    return typeof entry === 'function' ? entry(context) : entry;
  }
}
