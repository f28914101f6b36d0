import type { Run } from '@autonoma/core';
import { goalSignature } from '@autonoma/core';

/**
 * The context signature of a run: what makes two goals "the same kind" for statistics and plan reuse.
 * A goal spec is keyed by its facts (its inputs differ from run to run); a text goal by its normalized words.
 */
export function runSignature(run: Pick<Run, 'goal'>): string {
  const spec = run.goal.spec;
  if (spec) return `facts:${[...spec.facts].sort().join(',')}`;
  return goalSignature(run.goal.text);
}
