/**
 * What the API's resources look like to the dashboard. Runs, events, agents and budgets come from
 * `@autonoma/core`'s protocol export, and the other shapes from core's own types, narrowed the way the
 * API's views narrow them (platform `api/views/`): no hand-copied event or run type. Imported as types
 * only, so nothing of core (nor zod) reaches the browser bundle.
 */
import type {
  AgentSpec,
  EventOf,
  EventType,
  Priority,
  Risk,
  Run,
  RunEvent,
  RunStatus,
  TerminalStatus,
} from '@autonoma/core/protocol';
import type { Role } from '@autonoma/core';
import type {
  AuditRecord,
  Conversation,
  Explanation,
  Memory,
  Schedule,
  ScoredMemory,
  User,
} from '@autonoma/core';

export type { EventOf, EventType, Priority, Risk, RunEvent, RunStatus, TerminalStatus, Explanation };

/** A run as the API shows it: no lease internals, no working memory (`RunView` in the API). */
export type RunView = Omit<
  Run,
  'orgId' | 'brainState' | 'context' | 'preparation' | 'leaseOwner' | 'leaseEpoch' | 'leaseExpiresAt'
>;

/** `GET /v1/runs/:id`: a run with the runs it delegated to. */
export interface RunDetail extends RunView {
  children: RunView[];
}

/** A page of a list. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** An agent definition with its id and times. */
export type AgentView = AgentSpec & { id: string; createdAt: number; updatedAt: number };

/** A tool runs may use (`GET /v1/tools`). */
export interface ToolView {
  name: string;
  description: string;
  risk: Risk;
  idempotent: boolean;
  inputSchema: Record<string, unknown>;
}

/** A memory, without its embedding. */
export type MemoryView = Omit<Memory, 'orgId' | 'embedding'>;
/** A recalled memory with its score's parts. */
export type ScoredMemoryView = Omit<ScoredMemory, 'memory'> & { memory: MemoryView };

/** An audit entry with its place in the hash chain. */
export type AuditEntryView = Omit<AuditRecord, 'orgId'>;
/** `GET /v1/audit/verify`. */
export interface AuditVerification {
  intact: boolean;
  brokenAt: number | null;
}

/** A conversation. */
export type ConversationView = Omit<Conversation, 'orgId'>;
/** One message of a conversation: a user's, or the answer (or state) of its turn's run. */
export type MessageView =
  | { role: 'user'; seq: number; text: string; at: number; runId: string }
  | {
      role: 'agent';
      seq: number;
      text: string | null;
      runId: string;
      status: RunStatus | 'pending';
      reason: string | null;
      at: number | null;
    };
/** A conversation with its messages. */
export interface ConversationDetail extends ConversationView {
  messages: MessageView[];
}
/** What sending a message did. */
export interface SentMessageView {
  turn: { seq: number; message: string; runId: string; createdAt: number };
  run: RunView | null;
}

/** A schedule. */
export type ScheduleView = Omit<Schedule, 'orgId'>;

/** A job. */
export interface JobView {
  id: string;
  kind: string;
  status: 'pending' | 'sent' | 'active' | 'done' | 'failed';
  priority: Priority;
  attempt: number;
  maxAttempts: number;
  runId: string | null;
  agentId: string | null;
  lastError: string | null;
  createdAt: number;
  runAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

/** A bucket length of the run statistics. */
export type StatsBucket = 'minute' | 'hour' | 'day';

/** Step durations: how many steps were counted, percentiles and extremes (null with no step). */
export interface StepLatencyView {
  steps: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  meanMs: number | null;
  maxMs: number | null;
}

/** `GET /v1/runs/stats`: the organization's runs over a window, computed by the server. */
export interface RunStatsView {
  from: number;
  to: number;
  bucket: StatsBucket;
  bucketMs: number;
  /** Runs created in each bucket, by the state they are in now. */
  runsByStatus: { start: number; counts: Partial<Record<RunStatus, number>>; total: number }[];
  stepLatency: StepLatencyView & { buckets: (StepLatencyView & { start: number })[] };
  /** Model calls made in the window per agent (`agent` null: deleted since), most expensive first. */
  agents: {
    agentId: string;
    agent: string | null;
    runs: number;
    modelCalls: number;
    inputTokens: number;
    outputTokens: number;
    costUsd: number;
  }[];
}

/** A worker process. */
export interface WorkerView {
  id: string;
  hostname: string;
  pid: number;
  version: string;
  transport: 'local' | 'bullmq';
  queues: Priority[];
  capabilities: string[];
  concurrency: number;
  inFlight: number;
  startedAt: number;
  heartbeatAt: number;
  stoppedAt: number | null;
  alive: boolean;
}

/** A user's role in an organization (ARCHITECTURE §3). */
export type { Role };

/** Who is signed in (`GET /v1/auth/me`). */
export interface Me {
  orgId: string;
  /** As the audit log records it: `user:<id>`, `key:<id>`, `local`. */
  actor: string;
  role: Role;
  credential: 'user' | 'api-key' | 'local' | 'other';
  /** The user, when the credential is a user's session. */
  user?: Omit<User, 'orgId'>;
}

/** `POST /v1/runs/:id/replay`: whether re-running the recorded decisions reproduced the run. */
export interface ReplayReport {
  matches: boolean;
  divergence?: string;
  steps: number;
  recordedSteps: number;
  toolCalls: number;
  status: RunStatus;
  answer: string | null;
  calls: { callId: string; tool: string; args: unknown; ok: boolean | null }[];
}
