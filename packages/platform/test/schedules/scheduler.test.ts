/** The scheduler loop: it sleeps until the next slot, wakes on a new schedule, survives failed passes. */
import type { Scope } from '@autonoma/core';
import { AgentSpec, defaultAgentName, dependencyError, systemClock } from '@autonoma/core';
import { createInMemoryStores } from '@autonoma/core/testing';
import { describe, expect, it } from 'vitest';
import { startScheduler } from '../../src/schedules/scheduler.ts';
import type { FireDueResult, Firing } from '../../src/services/schedule-service.ts';
import { waitFor } from '../support/wait-for.ts';
import { servicesOver } from './harness.ts';

const scope: Scope = { orgId: 'org_a', actor: 'test' };
const hour = 3_600_000;

describe('startScheduler', () => {
  it('wakes when this process creates a schedule, then fires each slot as it comes', async () => {
    const stores = createInMemoryStores();
    await stores.agents.upsert(scope.orgId, AgentSpec.parse({ name: defaultAgentName }), {
      id: 'agt_1',
      now: 0,
    });
    const { schedules } = servicesOver(stores, { clock: systemClock });
    const firings: Firing[] = [];
    const errors: unknown[] = [];
    // An hour between passes: only the wake-up and the sleep until the next slot can fire in time.
    const scheduler = startScheduler(
      { schedules },
      {
        intervalMs: hour,
        onFiring: (firing) => firings.push(firing),
        onError: (error) => errors.push(error),
      },
    );
    try {
      await schedules.create(scope, { goal: 'tick', cron: '* * * * * *' });
      await waitFor(() => firings.length >= 3, { what: 'three slots fired' });
    } finally {
      await scheduler.stop();
    }
    const slots = firings.map((firing) => firing.slot);
    expect(new Set(slots).size).toBe(slots.length);
    expect(slots.every((slot) => slot % 1_000 === 0)).toBe(true);
    expect(firings.every((firing) => firing.advanced && firing.runId !== undefined)).toBe(true);
    expect(await stores.runs.list({ orgId: scope.orgId, limit: 100 })).toHaveLength(firings.length);
    expect(errors).toEqual([]);
  });

  it('reports a failed pass and keeps polling; stop ends the loop', async () => {
    let passes = 0;
    const errors: unknown[] = [];
    const idle: FireDueResult = { firings: [], nextDueAt: null, more: false };
    const scheduler = startScheduler(
      {
        schedules: {
          fireDue: async () => {
            passes += 1;
            if (passes === 1) throw dependencyError('cannot reach PostgreSQL');
            return idle;
          },
          onChange: () => () => undefined,
        },
      },
      { intervalMs: 5, onError: (error) => errors.push(error) },
    );
    await waitFor(() => passes >= 3, { what: 'passes after a failure' });
    // Stopping twice is fine; each resolves once no pass is in progress.
    await Promise.all([scheduler.stop(), scheduler.stop()]);
    expect(errors.map((error) => (error as Error).message)).toEqual(['cannot reach PostgreSQL']);
  });
});
