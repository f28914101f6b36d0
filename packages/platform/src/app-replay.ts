/** The throwaway world a replay re-runs in (part of the composition root). */
import type { Agent, Clock, IdGenerator, Run } from '@autonoma/core';
import { AgentSpec } from '@autonoma/core';
import { createRunService } from './app-runs.ts';
import type { Redactor } from './security/redact.ts';
import type { CreateReplaySandbox } from './services/replay-service.ts';
import type { Stores } from './store/database.ts';
import { createDatabase } from './store/database.ts';

/** What every replay sandbox shares with the app. */
export interface ReplayWiring {
  clock: Clock;
  ids: IdGenerator;
  redact: Redactor;
}

/**
 * Replay sandboxes, each on a fresh in-memory PGlite seeded with the recorded run (queued again, same
 * id) and its agent. The run service is wired like the app's ({@link createRunService}, embedded lease
 * policy) with the replay's brain and tools, and without learning hooks (a replay learns nothing), a
 * bus (nobody watches it) or per-run tools (no MCP server is started).
 */
export function createReplaySandboxes(wiring: ReplayWiring): CreateReplaySandbox {
  return async ({ run, agent, brain, tools }) => {
    const database = await createDatabase({ kind: 'pglite' });
    try {
      await seed(database.stores, { run, agent, now: wiring.clock.now() });
      const runs = createRunService({
        ...wiring,
        stores: database.stores,
        embedded: true,
        owner: 'replay',
        tools,
        brainFor: () => brain,
      });
      return { runs, close: () => database.close() };
    } catch (error) {
      await database.close();
      throw error;
    }
  };
}

/** Writes the run's organization, its agent (same id) and the run as it was created. */
async function seed(stores: Stores, recorded: { run: Run; agent: Agent; now: number }): Promise<void> {
  const { run, agent, now } = recorded;
  const { id, orgId: _orgId, createdAt: _createdAt, updatedAt: _updatedAt, ...spec } = agent;
  await stores.organizations.ensure({ id: run.orgId, name: run.orgId, createdAt: now });
  await stores.agents.upsert(run.orgId, AgentSpec.parse(spec), { id, now });
  await stores.runs.create({
    id: run.id,
    orgId: run.orgId,
    agentId: id,
    goal: run.goal,
    priority: run.priority,
    budgets: run.budgets,
    workspace: run.workspace,
    now,
  });
}
