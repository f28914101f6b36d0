/**
 * The Drizzle schema of the whole domain. Times are epoch milliseconds in `bigint` columns read as
 * numbers (the core types use epoch-ms numbers). Migrations are generated from this file by drizzle-kit
 * (`packages/platform/drizzle.config.ts`); the pgvector shadow columns live in a separate, hand-written
 * migration that runs only where the extension exists, so they are not declared here.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  smallint,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/** An epoch-milliseconds timestamp column. */
const epochMs = (name: string) => bigint(name, { mode: 'number' });

/** PostgreSQL `tsvector` (full-text document). */
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/** Tenants. */
export const organizations = pgTable('organizations', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: epochMs('created_at').notNull(),
  /** Cap on the organization's runs in flight (jobs sent or active); NULL: the deployment's default. */
  maxRunsInFlight: integer('max_runs_in_flight'),
});

/** People who sign in; `role` is one of owner, admin, operator, viewer. */
export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: ['owner', 'admin', 'operator', 'viewer'] }).notNull(),
    disabled: boolean('disabled').notNull().default(false),
    failedLogins: integer('failed_logins').notNull().default(0),
    lockedUntil: epochMs('locked_until'),
    createdAt: epochMs('created_at').notNull(),
    updatedAt: epochMs('updated_at').notNull(),
  },
  (table) => [uniqueIndex('users_email_key').on(table.email), index('users_org_idx').on(table.orgId)],
);

/** API keys: only a hash of the key is stored, plus its visible prefix. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userId: text('user_id').references(() => users.id, { onDelete: 'set null' }),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    keyHash: text('key_hash').notNull(),
    role: text('role', { enum: ['owner', 'admin', 'operator', 'viewer'] }).notNull(),
    lastUsedAt: epochMs('last_used_at'),
    revokedAt: epochMs('revoked_at'),
    expiresAt: epochMs('expires_at'),
    createdAt: epochMs('created_at').notNull(),
  },
  (table) => [uniqueIndex('api_keys_hash_key').on(table.keyHash), index('api_keys_org_idx').on(table.orgId)],
);

/** Rotating refresh tokens, stored hashed; revocable. */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    /** Tokens of one rotation chain share a family; reuse of a rotated token revokes the family. */
    family: text('family')
      .notNull()
      .references(() => authSessions.id, { onDelete: 'cascade' }),
    revokedAt: epochMs('revoked_at'),
    expiresAt: epochMs('expires_at').notNull(),
    createdAt: epochMs('created_at').notNull(),
    /** Set when the token was rotated: presenting it again revokes its session (0010_auth). */
    spentAt: epochMs('spent_at'),
  },
  (table) => [
    uniqueIndex('refresh_tokens_hash_key').on(table.tokenHash),
    index('refresh_tokens_user_idx').on(table.userId),
    index('refresh_tokens_family_idx').on(table.family),
  ],
);

/** Sign-in sessions: one per login; its refresh tokens are one family, its access tokens name it. */
export const authSessions = pgTable(
  'auth_sessions',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: epochMs('created_at').notNull(),
    expiresAt: epochMs('expires_at').notNull(),
    revokedAt: epochMs('revoked_at'),
    /** `logout`, `reuse`, `disabled`, `deleted`… */
    revokedReason: text('revoked_reason'),
  },
  (table) => [
    index('auth_sessions_user_idx')
      .on(table.userId)
      .where(sql`${table.revokedAt} IS NULL`),
  ],
);

/** Failed sign-ins per key (`account:<email>`, `ip:<address>`), shared by every replica. */
export const loginThrottle = pgTable('login_throttle', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  windowStartedAt: epochMs('window_started_at').notNull(),
  lockedUntil: epochMs('locked_until'),
});

/** Agent definitions; `spec` is the parsed AgentSpec. */
export const agents = pgTable(
  'agents',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    spec: jsonb('spec').notNull(),
    createdAt: epochMs('created_at').notNull(),
    updatedAt: epochMs('updated_at').notNull(),
  },
  (table) => [uniqueIndex('agents_org_name_key').on(table.orgId, table.name)],
);

/** Runs: one attempt by one agent at one goal. */
export const runs = pgTable(
  'runs',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    agentId: text('agent_id').notNull(),
    parentRunId: text('parent_run_id'),
    rootRunId: text('root_run_id'),
    depth: integer('depth').notNull().default(0),
    childrenOpen: integer('children_open').notNull().default(0),
    goal: jsonb('goal').notNull(),
    status: text('status').notNull(),
    version: integer('version').notNull().default(0),
    priority: text('priority').notNull().default('normal'),
    budgets: jsonb('budgets').notNull(),
    usage: jsonb('usage').notNull(),
    lastSeq: integer('last_seq').notNull().default(0),
    stepCount: integer('step_count').notNull().default(0),
    brainState: jsonb('brain_state'),
    /** The bounded working-memory projection persisted with each step (core's `RunContext`). */
    context: jsonb('context'),
    /** What the run's start prepared (recalled memories, a reusable plan, learned costs); written once. */
    preparation: jsonb('preparation'),
    /** A workspace id, or an absolute path for a run a local CLI advances itself. */
    workspace: text('workspace').notNull(),
    answer: text('answer'),
    reason: text('reason'),
    leaseOwner: text('lease_owner'),
    leaseEpoch: bigint('lease_epoch', { mode: 'number' }).notNull().default(0),
    leaseExpiresAt: epochMs('lease_expires_at'),
    /** When a sleeping run becomes runnable again. */
    wakeAt: epochMs('wake_at'),
    idempotencyKey: text('idempotency_key'),
    /** Hash of the API request that carried `idempotency_key` (a retry must carry the same one). */
    idempotencyHash: text('idempotency_hash'),
    createdAt: epochMs('created_at').notNull(),
    updatedAt: epochMs('updated_at').notNull(),
    endedAt: epochMs('ended_at'),
    /** Set when the run's log is finalized (reflection and `run-end` appended). */
    finalizedAt: epochMs('finalized_at'),
    /**
     * The W3C trace context every job of the run continues (its payload's `trace`), written when the
     * run is created (0011_run_trace_context).
     */
    traceContext: jsonb('trace_context'),
  },
  (table) => [
    uniqueIndex('runs_org_idempotency_key').on(table.orgId, table.idempotencyKey),
    index('runs_org_created_idx').on(table.orgId, table.createdAt, table.id),
    index('runs_parent_idx').on(table.parentRunId),
    index('runs_status_idx').on(table.status, table.leaseExpiresAt),
    index('runs_unfinalized_idx')
      .on(table.endedAt)
      .where(sql`${table.finalizedAt} IS NULL AND ${table.endedAt} IS NOT NULL`),
    index('runs_wake_idx')
      .on(table.wakeAt)
      .where(sql`${table.status} = 'sleeping'`),
    // The active runs of an organization (0010_auth); the quota reads `orgActiveRuns` instead.
    index('runs_org_active_idx')
      .on(table.orgId)
      .where(sql`${table.status} IN ('queued', 'running')`),
  ],
);

/**
 * Each organization's runs queued or running, as the sum of its slots; kept by triggers on `runs`
 * (hand-written in 0012_org_active_runs, with why it is sharded), read by the run quota.
 */
export const orgActiveRuns = pgTable(
  'org_active_runs',
  {
    orgId: text('org_id').notNull(),
    slot: smallint('slot').notNull(),
    n: bigint('n', { mode: 'number' }).notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.orgId, table.slot] })],
);

/** The append-only event log of runs (never `text-delta`). */
export const runEvents = pgTable(
  'run_events',
  {
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    at: epochMs('at').notNull(),
    payload: jsonb('payload').notNull(),
    /** Version of the payload's schema; a newer one than the code knows is refused on read. */
    schemaVersion: smallint('schema_version').notNull().default(1),
  },
  (table) => [primaryKey({ name: 'run_events_pkey', columns: [table.runId, table.seq] })],
);

/** The tool-call journal; `key` is the idempotency key `runId:step:callIndex`. */
export const toolCalls = pgTable(
  'tool_calls',
  {
    key: text('key').primaryKey(),
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    step: integer('step').notNull(),
    callIndex: integer('call_index').notNull(),
    tool: text('tool').notNull(),
    args: jsonb('args'),
    argsHash: text('args_hash').notNull(),
    status: text('status').notNull(),
    result: jsonb('result'),
    idempotent: boolean('idempotent').notNull(),
    createdAt: epochMs('created_at').notNull(),
    updatedAt: epochMs('updated_at').notNull(),
  },
  (table) => [index('tool_calls_run_idx').on(table.runId, table.step, table.callIndex)],
);

/** Long-term memories with a generated full-text column. */
export const memories = pgTable(
  'memories',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    agentId: text('agent_id').notNull(),
    kind: text('kind').notNull(),
    text: text('text').notNull(),
    importance: real('importance').notNull(),
    embedding: real('embedding').array(),
    runId: text('run_id'),
    metadata: jsonb('metadata').notNull(),
    createdAt: epochMs('created_at').notNull(),
    lastAccessedAt: epochMs('last_accessed_at').notNull(),
    accessCount: integer('access_count').notNull().default(0),
    search: tsvector('search').generatedAlwaysAs(sql`to_tsvector('english', "text")`),
  },
  (table) => [
    // No GIN pending list: PGlite has no autovacuum to flush it, and every search would scan it.
    index('memories_search_idx').using('gin', table.search).with({ fastupdate: false }),
    index('memories_scope_accessed_idx').on(table.orgId, table.agentId, table.lastAccessedAt),
    index('memories_scope_importance_idx').on(table.orgId, table.agentId, table.importance),
    index('memories_org_created_idx').on(table.orgId, table.createdAt, table.id),
  ],
);

/** Outcome statistics per (org, agent, context signature, action). */
export const actionStats = pgTable(
  'action_stats',
  {
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    agentId: text('agent_id').notNull(),
    signature: text('signature').notNull(),
    action: text('action').notNull(),
    trials: integer('trials').notNull().default(0),
    successes: integer('successes').notNull().default(0),
    totalReward: doublePrecision('total_reward').notNull().default(0),
    totalCostUsd: doublePrecision('total_cost_usd').notNull().default(0),
    totalLatencyMs: doublePrecision('total_latency_ms').notNull().default(0),
    updatedAt: epochMs('updated_at').notNull(),
  },
  (table) => [
    primaryKey({
      name: 'action_stats_pkey',
      columns: [table.orgId, table.agentId, table.signature, table.action],
    }),
  ],
);

/** Reusable plans keyed by goal signature and embedding. */
export const plans = pgTable(
  'plans',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    agentId: text('agent_id').notNull(),
    signature: text('signature').notNull(),
    goalText: text('goal_text').notNull(),
    embedding: real('embedding').array(),
    steps: jsonb('steps').notNull(),
    successes: integer('successes').notNull().default(0),
    failures: integer('failures').notNull().default(0),
    createdAt: epochMs('created_at').notNull(),
    updatedAt: epochMs('updated_at').notNull(),
  },
  (table) => [index('plans_scope_signature_idx').on(table.orgId, table.agentId, table.signature)],
);

/** The runs counted in each plan's successes and failures: a run counts once per plan. */
export const planRuns = pgTable(
  'plan_runs',
  {
    planId: text('plan_id').notNull(),
    runId: text('run_id').notNull(),
    success: boolean('success').notNull(),
    at: epochMs('at').notNull(),
  },
  (table) => [primaryKey({ name: 'plan_runs_pkey', columns: [table.planId, table.runId] })],
);

/** Durable job records (the queue's record of truth). */
export const jobs = pgTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').references(() => organizations.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    queue: text('queue').notNull(),
    priority: integer('priority').notNull().default(2),
    status: text('status').notNull(),
    payload: jsonb('payload').notNull(),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(5),
    runAt: epochMs('run_at').notNull(),
    lockedBy: text('locked_by'),
    lockedUntil: epochMs('locked_until'),
    lastError: text('last_error'),
    dedupeKey: text('dedupe_key'),
    /** The run an `agent-run` job advances. */
    runId: text('run_id'),
    /** The agent of that run (per-agent `concurrency`). */
    agentId: text('agent_id'),
    startedAt: epochMs('started_at'),
    finishedAt: epochMs('finished_at'),
    createdAt: epochMs('created_at').notNull(),
    updatedAt: epochMs('updated_at').notNull(),
  },
  (table) => [
    index('jobs_ready_idx').on(table.queue, table.status, table.priority, table.runAt),
    index('jobs_pending_idx')
      .on(table.orgId, table.priority, table.runAt, table.id)
      .where(sql`${table.status} = 'pending'`),
    index('jobs_in_flight_idx')
      .on(table.orgId, table.agentId)
      .where(sql`${table.status} IN ('sent', 'active')`),
    index('jobs_run_idx')
      .on(table.runId, table.status)
      .where(sql`${table.runId} IS NOT NULL`),
    index('jobs_org_created_idx').on(table.orgId, table.createdAt, table.id),
    // One pending job per key: an outbox write for a run that already has one is a no-op.
    uniqueIndex('jobs_pending_dedupe_key')
      .on(table.dedupeKey)
      .where(sql`${table.status} = 'pending'`),
  ],
);

/** Registered workers and their heartbeats. */
export const workers = pgTable(
  'workers',
  {
    id: text('id').primaryKey(),
    hostname: text('hostname').notNull(),
    pid: integer('pid').notNull(),
    version: text('version').notNull().default(''),
    /** The lease owner id its run service writes on the runs it advances. */
    leaseOwner: text('lease_owner'),
    /** `local` (jobs read from the store) or `bullmq`. */
    transport: text('transport').notNull().default('local'),
    queues: jsonb('queues').notNull(),
    capabilities: jsonb('capabilities').notNull(),
    concurrency: integer('concurrency').notNull().default(1),
    inFlight: integer('in_flight').notNull().default(0),
    startedAt: epochMs('started_at').notNull(),
    heartbeatAt: epochMs('heartbeat_at').notNull(),
    stoppedAt: epochMs('stopped_at'),
    /** `drained`, `forced`, or `expired` (its heartbeat stopped). */
    stopReason: text('stop_reason'),
  },
  (table) => [
    index('workers_live_idx')
      .on(table.heartbeatAt)
      .where(sql`${table.stoppedAt} IS NULL`),
  ],
);

/** Cron goals: each slot of `cron` in `time_zone` starts one run (migration 0006, hand-written). */
export const schedules = pgTable(
  'schedules',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    agentId: text('agent_id').notNull(),
    goal: jsonb('goal').notNull(),
    cron: text('cron').notNull(),
    timeZone: text('time_zone').notNull(),
    priority: text('priority').notNull().default('normal'),
    paused: boolean('paused').notNull().default(false),
    /** The next slot to fire; null when the expression names no future instant. */
    nextFireAt: epochMs('next_fire_at'),
    /** The last slot fired: the compare-and-set guard against firing a slot twice. */
    lastFiredSlot: epochMs('last_fired_slot'),
    /** Why the last fired slot created no run. */
    lastError: text('last_error'),
    createdAt: epochMs('created_at').notNull(),
    updatedAt: epochMs('updated_at').notNull(),
  },
  (table) => [
    index('schedules_org_created_idx').on(table.orgId, table.createdAt, table.id),
    index('schedules_due_idx')
      .on(table.nextFireAt)
      .where(sql`NOT ${table.paused}`),
  ],
);

/** The append-only, hash-chained audit log. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orgId: text('org_id').notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    target: text('target').notNull(),
    detail: jsonb('detail').notNull(),
    at: epochMs('at').notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (table) => [
    index('audit_log_org_idx').on(table.orgId, table.id),
    index('audit_log_org_action_idx').on(table.orgId, table.action, table.id),
  ],
);

/** Key-value settings. */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});
