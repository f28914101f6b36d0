/** A schedule service (and the run service it starts runs with) over any set of store ports. */
import type {
  AgentStore,
  AuditLog,
  Clock,
  IdGenerator,
  RunStore,
  ScheduleStore,
  ToolCallJournal,
} from '@autonoma/core';
import { ToolRegistry, randomIds } from '@autonoma/core';
import { createRedactor } from '../../src/security/redact.ts';
import { RunService } from '../../src/services/run-service.ts';
import { ScheduleService } from '../../src/services/schedule-service.ts';

/** The ports the two services use. */
export interface SchedulePorts {
  runs: RunStore;
  toolCalls: ToolCallJournal;
  agents: AgentStore;
  audit: AuditLog;
  schedules: ScheduleStore;
}

/**
 * A fresh "process": its own service instances over shared stores. Runs are only started here (a
 * queue advances them), so there is no brain.
 */
export function servicesOver(
  stores: SchedulePorts,
  options: { clock: Clock; ids?: IdGenerator },
): { runs: RunService; schedules: ScheduleService } {
  const ids = options.ids ?? randomIds;
  const runs = new RunService({
    runs: stores.runs,
    toolCalls: stores.toolCalls,
    agents: stores.agents,
    audit: stores.audit,
    tools: new ToolRegistry(),
    brainFor: () => {
      throw new Error('schedule tests start runs; they never advance them');
    },
    clock: options.clock,
    ids,
    redact: createRedactor([]),
    owner: 'schedule-test',
    canSteal: () => false,
  });
  const schedules = new ScheduleService({
    schedules: stores.schedules,
    runs,
    audit: stores.audit,
    clock: options.clock,
    ids,
  });
  return { runs, schedules };
}
