/** Shared helpers of the store contract suites. */
import type {
  AgentStore,
  ApiKeyStore,
  AuditLog,
  LoginThrottleStore,
  RunQuotaStore,
  SessionStore,
  UserStore,
  ConversationStore,
  EventPayload,
  Lease,
  LeaseRefusal,
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
import { emptyUsage, initialContext, isAutonomaError } from '@autonoma/core';
import { expect } from 'vitest';

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
  conversations: ConversationStore;
  users: UserStore;
  apiKeys: ApiKeyStore;
  sessions: SessionStore;
  loginThrottle: LoginThrottleStore;
  runQuota: RunQuotaStore;
}

/** A pending `agent-run` job of the outbox, as every implementation can report it. */
export interface OutboxJob {
  jobId: string;
  runId: string;
  orgId: string;
  /** Not before this time; the in-memory outbox leaves it unset when the writer gave none. */
  runAt?: number;
}

/**
 * What a contract suite needs from one implementation, beyond the ports themselves: the parts of
 * its storage no port reads (organizations, the outbox, the audit rows).
 */
export interface StoreHarness {
  /** The stores under test; called inside each test (the suite may share one database). */
  stores(): PortSet;
  /**
   * Makes `orgId` a known organization. The SQL stores reference organizations by foreign key; the
   * fakes have no such table and accept any id.
   */
  ensureOrg(orgId: string): Promise<void>;
  /** The pending outbox jobs of a run, oldest first. */
  pendingJobs(runId: string): Promise<OutboxJob[]>;
  /** Overwrites a stored audit record's action behind the log's back (to prove `verify` notices). */
  tamperAudit(id: number, action: string): Promise<void>;
}

let counter = 0;
const prefix = Math.random().toString(36).slice(2, 8);

/** A unique id, so tests sharing one database never see each other's rows. */
export const uniqueId = (kind: string): string => {
  counter += 1;
  return `${kind}_${prefix}${counter}`;
};

/** A fresh organization, known to the store. */
export async function newOrg(harness: StoreHarness): Promise<string> {
  const orgId = uniqueId('org');
  await harness.ensureOrg(orgId);
  return orgId;
}

/** A new run input, in a fresh organization unless `orgId` is given; its organization is known to the store. */
export async function newRun(harness: StoreHarness, overrides: Partial<NewRun> = {}): Promise<NewRun> {
  const orgId = overrides.orgId ?? uniqueId('org');
  await harness.ensureOrg(orgId);
  return {
    id: uniqueId('run'),
    orgId,
    agentId: 'agent_1',
    goal: { text: 'write the report' },
    budgets: { maxSteps: 10 },
    workspace: '/tmp/workspace',
    now: 1_000,
    ...overrides,
  };
}

/** A step commit with sensible defaults: the first step of a run with no events yet. */
export const stepCommit = (overrides: Partial<StepCommit> = {}): StepCommit => ({
  events: [{ type: 'step-start', step: 1 }],
  expectedLastSeq: 0,
  status: 'running',
  usage: usageWith({ steps: 1 }),
  stepCount: 1,
  brainState: { plan: ['a', 'b'] },
  context: initialContext(),
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

/** True when an acquisition returned a lease. */
export const isLease = (value: Lease | LeaseRefusal): value is Lease => !('refused' in value);

/** A new run (see {@link newRun}) with a lease held by `owner`. */
export async function leased(
  harness: StoreHarness,
  options: { owner?: string; now?: number; run?: Partial<NewRun> } = {},
): Promise<Lease> {
  const { runs } = harness.stores();
  const { run } = await runs.create(await newRun(harness, options.run));
  const lease = await runs.acquireLease(run.orgId, run.id, {
    owner: options.owner ?? 'worker-a',
    now: options.now ?? 1_500,
    ttlMs: 60_000,
  });
  if (!isLease(lease)) throw new Error(`lease refused: ${lease.reason}`);
  return lease;
}

/** The error a promise rejects with, or undefined when it resolves. */
export const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );

/** Expects `promise` to reject with an AutonomaError of this `code`. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await rejection(promise);
  expect(isAutonomaError(error) ? error.code : error).toBe(code);
}

/** Expects `promise` to reject as fenced (the lease is no longer held). */
export const expectFenced = (promise: Promise<unknown>): Promise<void> => expectCode(promise, 'fenced');
