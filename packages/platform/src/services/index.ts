/** The org-scoped services every interface (CLI, API, workers) calls with a `Scope`. */
import type { AgentService } from './agent-service.ts';
import type { ApiKeyService } from './api-key-service.ts';
import type { AuthService } from './auth-service.ts';
import type { AuditService } from './audit-service.ts';
import type { ConversationService } from './conversation-service.ts';
import type { ExplainService } from './explain-service.ts';
import type { JobService } from './job-service.ts';
import type { MemoryService } from './memory-service.ts';
import type { OrganizationService } from './organization-service.ts';
import type { ReplayService } from './replay-service.ts';
import type { RunService } from './run-service.ts';
import type { RunQuotaService } from './run-quota-service.ts';
import type { RunStatsService } from './run-stats-service.ts';
import type { ScheduleService } from './schedule-service.ts';
import type { WorkerService } from './worker-service.ts';
import type { UserService } from './user-service.ts';

export { AgentService, ensureDefaultAgent, type AgentServiceDeps } from './agent-service.ts';
export { AuditService } from './audit-service.ts';
export { ApiKeyService, type ApiKeyServiceDeps, type NewApiKeyInput } from './api-key-service.ts';
export {
  AuthService,
  defaultAuthSettings,
  invalidCredentials,
  rateLimited,
  type Authenticated,
  type AuthServiceDeps,
  type AuthSettings,
  type Credential,
  type TokenPair,
} from './auth-service.ts';
export { originDetail, type Caller, type RequestOrigin } from './caller.ts';
export { RunQuotaService } from './run-quota-service.ts';
export {
  RunStatsService,
  type RunStatsQuery,
  type RunStatsReport,
  type RunStatsServiceDeps,
} from './run-stats-service.ts';
export {
  UserService,
  normalizeEmail,
  type NewUserInput,
  type UserServiceDeps,
  type UserUpdate,
} from './user-service.ts';
export {
  ConversationService,
  type ConversationMessage,
  type ConversationServiceDeps,
  type SentMessage,
} from './conversation-service.ts';
export { ExplainService, type ExplainServiceDeps } from './explain-service.ts';
export { JobService, type JobServiceDeps } from './job-service.ts';
export { WorkerService, type WorkerServiceDeps, type WorkerView } from './worker-service.ts';
export { MemoryService, type MemoryServiceDeps } from './memory-service.ts';
export {
  OrganizationService,
  maxRunsInFlightLimit,
  type OrganizationDetail,
  type OrganizationServiceDeps,
  type OrganizationSettings,
} from './organization-service.ts';
export {
  ReplayService,
  type ComparedCall,
  type CreateReplaySandbox,
  type ReplayReport,
  type ReplaySandbox,
  type ReplayServiceDeps,
} from './replay-service.ts';
export {
  RunService,
  type AdvanceOptions,
  type ApprovalDecision,
  type RunServiceDeps,
  type ScopedTools,
  type StartRun,
} from './run-service.ts';
export {
  ScheduleService,
  checkSchedule,
  slotRunKey,
  type CheckedSchedule,
  type FireDueResult,
  type Firing,
  type NewScheduleInput,
  type ScheduleServiceDeps,
} from './schedule-service.ts';

/** The services of an app. */
export interface Services {
  runs: RunService;
  agents: AgentService;
  memories: MemoryService;
  audit: AuditService;
  /** Why a run did what it did. */
  explain: ExplainService;
  /** Threads of messages with one agent, one run per message. */
  conversations: ConversationService;
  /** Re-runs a run's recorded decisions without models or tools. */
  replay: ReplayService;
  /** Cron goals, and the scheduler's pass that fires them (see schedules/scheduler.ts). */
  schedules: ScheduleService;
  /** The organization's jobs: list, show, retry; a learning refresh on demand. */
  jobs: JobService;
  /** The worker fleet (the deployment's, the same for every scope). */
  workers: WorkerService;
  /** The organization's people (administrators). */
  users: UserService;
  /** Sign-in, sessions, and the authentication of access tokens and API keys. */
  auth: AuthService;
  /** The organization's API keys. */
  apiKeys: ApiKeyService;
  /** The per-organization quota on runs queued or running. */
  runQuota: RunQuotaService;
  /** Statistics of the organization's runs over a window (the operations charts). */
  runStats: RunStatsService;
  /** The caller's organization and its settings (the cap on its runs in flight). */
  organization: OrganizationService;
}
