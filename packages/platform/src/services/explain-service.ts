import type { Explanation, Scope } from '@autonoma/core';
import { explainRun } from '@autonoma/core';
import type { RunService } from './run-service.ts';

/** What the explain service needs: the caller's runs and their logs. */
export interface ExplainServiceDeps {
  runs: Pick<RunService, 'get' | 'events'>;
}

/** Most runs of a tree one explanation includes (a wide tree is cut, and says so in its summary). */
export const maxExplainedRuns = 200;

/** Why runs did what they did (ARCHITECTURE §4, Explainability), for every interface to render. */
export class ExplainService {
  readonly #deps: ExplainServiceDeps;

  constructor(deps: ExplainServiceDeps) {
    this.#deps = deps;
  }

  /**
   * The decision trace of a run of the caller's organization, with the traces of the runs it delegated
   * to (and theirs) as `children`, in the order it delegated; `not_found` for any other run.
   */
  async explain(scope: Scope, runId: string): Promise<Explanation> {
    const budget = { left: maxExplainedRuns };
    return this.#explainTree(scope, runId, budget);
  }

  async #explainTree(scope: Scope, runId: string, budget: { left: number }): Promise<Explanation> {
    budget.left -= 1;
    const run = await this.#deps.runs.get(scope, runId);
    const explanation = explainRun(run, await this.#deps.runs.events(scope, runId));
    for (const step of explanation.steps) {
      for (const delegation of step.delegations) {
        if (budget.left <= 0) return explanation;
        explanation.children.push(await this.#explainTree(scope, delegation.childRunId, budget));
      }
    }
    return explanation;
  }
}
