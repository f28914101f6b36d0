/** Shared helpers of the store contract suites. */
import type {
  AgentStore,
  AuditLog,
  EventPayload,
  MemoryStore,
  NewRun,
  PlanStore,
  RunStore,
  SettingsStore,
  StatsStore,
  StepCommit,
  ToolCallJournal,
  Usage,
} from '@autonoma/core';
import { emptyUsage } from '@autonoma/core';

/** The ports a store implementation provides (the platform's `Database.stores`, or the fakes). */
export interface PortSet {
  runs: RunStore;
  toolCalls: ToolCallJournal;
  agents: AgentStore;
  memories: MemoryStore;
  stats: StatsStore;
  plans: PlanStore;
  audit: AuditLog;
  settings: SettingsStore;
}

/** Returns the stores under test; called inside each test (the suite may share one database). */
export type GetStores = () => PortSet;

let counter = 0;
const prefix = Math.random().toString(36).slice(2, 8);

/** A unique id, so tests sharing one database never see each other's rows. */
export const uniqueId = (kind: string): string => {
  counter += 1;
  return `${kind}_${prefix}${counter}`;
};

/** A new run input in a fresh organization unless `orgId` is given. */
export const newRun = (overrides: Partial<NewRun> = {}): NewRun => ({
  id: uniqueId('run'),
  orgId: uniqueId('org'),
  agentId: 'agent_1',
  goal: { text: 'write the report' },
  budgets: { maxSteps: 10 },
  workspace: '/tmp/workspace',
  now: 1_000,
  ...overrides,
});

/** A step commit with sensible defaults. */
export const stepCommit = (overrides: Partial<StepCommit> = {}): StepCommit => ({
  events: [{ type: 'step-start', step: 1 }],
  status: 'running',
  usage: usageWith({ steps: 1 }),
  stepCount: 1,
  brainState: { plan: ['a', 'b'] },
  now: 2_000,
  leaseExpiresAt: 62_000,
  ...overrides,
});

/** Usage with some fields set. */
export const usageWith = (fields: Partial<Usage>): Usage => ({ ...emptyUsage(), ...fields });

/** A step-end event. */
export const stepEnd = (step: number): EventPayload => ({
  type: 'step-end',
  step,
  outcome: { kind: 'continue' },
  status: 'running',
});
