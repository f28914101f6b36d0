/** The org-scoped services every interface (CLI, API, workers) calls with a `Scope`. */
import type { AgentService } from './agent-service.ts';
import type { AuditService } from './audit-service.ts';
import type { ExplainService } from './explain-service.ts';
import type { MemoryService } from './memory-service.ts';
import type { ReplayService } from './replay-service.ts';
import type { RunService } from './run-service.ts';

export { AgentService, ensureDefaultAgent, type AgentServiceDeps } from './agent-service.ts';
export { AuditService } from './audit-service.ts';
export { ExplainService, type ExplainServiceDeps } from './explain-service.ts';
export { MemoryService, type MemoryServiceDeps } from './memory-service.ts';
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

/** The services of an app. */
export interface Services {
  runs: RunService;
  agents: AgentService;
  memories: MemoryService;
  audit: AuditService;
  /** Why a run did what it did. */
  explain: ExplainService;
  /** Re-runs a run's recorded decisions without models or tools. */
  replay: ReplayService;
}
