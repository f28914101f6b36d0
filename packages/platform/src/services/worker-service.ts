import type { Clock, Scope } from '@autonoma/core';
import type { WorkerRecord, WorkerRegistry } from '../jobs/worker-registry.ts';
import { isAlive } from '../jobs/worker-registry.ts';

/** A worker as listed: its registration and whether it is alive now. */
export interface WorkerView extends WorkerRecord {
  alive: boolean;
}

/** What the worker service needs. */
export interface WorkerServiceDeps {
  registry: WorkerRegistry;
  clock: Clock;
  /** A worker whose heartbeat is older than this is shown dead. @default 5000 */
  deadAfterMs?: number;
}

/**
 * The worker fleet. Workers serve every organization, so the list is the deployment's, the same for
 * every scope (the API restricts it to operators).
 */
export class WorkerService {
  readonly #deps: WorkerServiceDeps;

  constructor(deps: WorkerServiceDeps) {
    this.#deps = deps;
  }

  /** Live workers (and recently stopped ones with `includeStopped`), newest first. */
  async list(
    _scope: Scope,
    options: { includeStopped?: boolean; limit?: number } = {},
  ): Promise<WorkerView[]> {
    const now = this.#deps.clock.now();
    const deadAfter = this.#deps.deadAfterMs ?? 5000;
    const workers = await this.#deps.registry.list(options);
    return workers.map((worker) => ({ ...worker, alive: isAlive(worker, now, deadAfter) }));
  }
}
