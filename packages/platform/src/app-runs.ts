/** The run service over a store (part of the composition root): the app's, and each replay sandbox's. */
import type { Agent, ConversationContext, Run, RunHooks, RunPreparation } from '@autonoma/core';
import { holderIsDead } from './runtime/lease-owner.ts';
import type { RunServiceDeps } from './services/run-service.ts';
import { RunService } from './services/run-service.ts';
import type { Stores } from './store/database.ts';

/** What a run service is wired from: everything but the stores' ports and the lease policy, derived here. */
export type RunWiring = Omit<
  RunServiceDeps,
  'runs' | 'toolCalls' | 'agents' | 'audit' | 'intake' | 'canSteal' | 'ownsStore'
> & {
  stores: Stores;
  /** True when this process alone uses the store (PGlite under a locked data directory, or in memory). */
  embedded: boolean;
};

/** A run service reading and writing `stores`, with the lease policy of its mode. */
export function createRunService(wiring: RunWiring): RunService {
  const { stores, embedded, ...deps } = wiring;
  return new RunService({
    ...deps,
    runs: stores.runs,
    toolCalls: stores.toolCalls,
    agents: stores.agents,
    audit: stores.audit,
    intake: stores.runIntake,
    // Embedded: no other process can use the store, so any other lease holder is dead.
    canSteal: embedded ? () => true : (holder) => holderIsDead(holder, deps.owner),
    ownsStore: embedded,
  });
}

/**
 * The run hooks, with a run's conversation so far added to what its start prepares (a run answering
 * a conversation's turn sees the earlier turns; any other run is prepared as before).
 */
export function withConversationContext(
  hooks: RunHooks,
  contextFor: (run: Run, agent: Agent) => Promise<ConversationContext | undefined> | undefined,
): RunHooks {
  return {
    ...hooks,
    async prepare(run, agent): Promise<RunPreparation> {
      const prepared = hooks.prepare
        ? await hooks.prepare(run, agent)
        : { recalled: [], reusablePlan: undefined, learnedCosts: new Map<string, number>(), events: [] };
      const conversation = run.conversationId === null ? undefined : await contextFor(run, agent);
      return conversation ? { ...prepared, conversation } : prepared;
    },
  };
}
