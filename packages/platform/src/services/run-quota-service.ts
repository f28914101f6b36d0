/**
 * The per-organization quota on runs queued or running: a flood of creates from one organization is
 * refused (429) beyond it, and other organizations' runs still start. `POST /v1/runs` passes `limit` to
 * the run service, which counts in the transaction that stores the run, under the organization's lock
 * (store/repositories/run-intake.ts): exact under concurrency, across processes. `check` is a
 * look-before-you-leap test: concurrent creates may pass it by the number in flight.
 */
import type { RunQuotaStore, Scope } from '@autonoma/core';
import { rateLimited } from './auth-service.ts';

/** How long a refused client is told to wait. */
const retryAfterMs = 5_000;

/** Checks the quota of runs queued or running per organization. */
export class RunQuotaService {
  readonly #quota: RunQuotaStore;
  readonly #limit: number;

  constructor(deps: { quota: RunQuotaStore; limit: number }) {
    this.#quota = deps.quota;
    this.#limit = deps.limit;
  }

  /** The quota of every organization. */
  get limit(): number {
    return this.#limit;
  }

  /** Throws `rate_limited` (429, Retry-After) when the organization may not start another run. */
  async check(scope: Scope): Promise<void> {
    const active = await this.#quota.activeRuns(scope.orgId);
    if (active >= this.#limit)
      throw rateLimited(
        `the organization has ${active} runs queued or running (its quota is ${this.#limit}); wait for some to finish`,
        retryAfterMs,
      );
  }
}
