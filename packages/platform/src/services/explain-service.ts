import type { Explanation, Scope } from '@autonoma/core';
import { explainRun } from '@autonoma/core';
import type { RunService } from './run-service.ts';

/** What the explain service needs: the caller's runs and their logs. */
export interface ExplainServiceDeps {
  runs: Pick<RunService, 'get' | 'events'>;
}

/** Why runs did what they did (ARCHITECTURE §4, Explainability), for every interface to render. */
export class ExplainService {
  readonly #deps: ExplainServiceDeps;

  constructor(deps: ExplainServiceDeps) {
    this.#deps = deps;
  }

  /** The decision trace of a run of the caller's organization; `not_found` for any other run. */
  async explain(scope: Scope, runId: string): Promise<Explanation> {
    const run = await this.#deps.runs.get(scope, runId);
    return explainRun(run, await this.#deps.runs.events(scope, runId));
  }
}
