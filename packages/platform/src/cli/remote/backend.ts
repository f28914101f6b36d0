/**
 * What the CLI's commands need from Autonoma, whichever way they reach it: the embedded store opened in
 * this process (local-backend.ts), or a server — given with `--server`, or the control socket of the
 * process holding the embedded store (api-client.ts). Both answer in the API's representation, so a
 * command prints the same output either way.
 */
import type { AgentSpec, Explanation, MemoryKind, RunEvent, RunStatus } from '@autonoma/core';
import type { AgentView } from '../../api/views/agents.ts';
import type { AuditEntryView } from '../../api/views/audit.ts';
import type { ConversationDetail, ConversationView, SentMessageView } from '../../api/views/conversations.ts';
import type { MemoryView, ScoredMemoryView } from '../../api/views/memories.ts';
import type { OrganizationView } from '../../api/views/organization.ts';
import type { RunDetail, RunView } from '../../api/views/runs.ts';
import type { CreateScheduleBody, ScheduleView } from '../../api/views/schedules.ts';

/** Runs, as the CLI uses them. */
export interface RunsBackend {
  /** Newest first. */
  list(filter: {
    status?: RunStatus[];
    parentRunId?: string;
    conversationId?: string;
    limit: number;
  }): Promise<RunView[]>;
  get(runId: string): Promise<RunDetail>;
  /** Stored events after `afterSeq` (all by default). */
  events(runId: string, afterSeq?: number): Promise<RunEvent[]>;
  cancel(runId: string, reason?: string): Promise<RunView>;
  resolveApproval(
    runId: string,
    callId: string,
    decision: { approved: boolean; reason?: string },
  ): Promise<{ run: RunView; changed: boolean }>;
  explain(runId: string): Promise<Explanation>;
  /** Answers the question the run waits on; the run is queued again (`not_waiting_input` otherwise). */
  answer(runId: string, text: string): Promise<RunView>;
}

/** Conversations: threads of turns with one agent. */
export interface ConversationsBackend {
  create(input: { agent?: string; title?: string }): Promise<ConversationView>;
  /** Most recently active first. */
  list(filter: { limit: number }): Promise<ConversationView[]>;
  /** With its messages: all of them, or those of the last `last` turns. */
  get(conversationId: string, options?: { last?: number }): Promise<ConversationDetail>;
  /** Sends a message; its run is advanced by whoever advances queued runs (a server's workers). */
  send(conversationId: string, text: string): Promise<SentMessageView>;
  delete(conversationId: string): Promise<void>;
}

/** Cron goals. */
export interface SchedulesBackend {
  create(input: CreateScheduleBody): Promise<ScheduleView>;
  /** Oldest first. */
  list(): Promise<ScheduleView[]>;
  pause(scheduleId: string): Promise<ScheduleView>;
  resume(scheduleId: string): Promise<ScheduleView>;
  delete(scheduleId: string): Promise<void>;
}

/** Agent definitions. */
export interface AgentsBackend {
  list(): Promise<AgentView[]>;
  /** By name or id. */
  get(name: string): Promise<AgentView>;
  /** Creates or replaces. */
  put(spec: AgentSpec): Promise<AgentView>;
  delete(name: string): Promise<void>;
}

/** Long-term memory. */
export interface MemoriesBackend {
  /** `agent` is a name or id. */
  list(filter: { agent?: string; kind?: MemoryKind; limit: number }): Promise<MemoryView[]>;
  /** Recall for an agent (the default agent when absent). */
  search(query: { agent?: string; text: string; limit: number }): Promise<ScoredMemoryView[]>;
  delete(memoryId: string): Promise<void>;
}

/** The audit log: read and verified, never changed. */
export interface AuditBackend {
  /** Oldest first, after the entry `afterId`. */
  list(filter: {
    action?: string;
    target?: string;
    afterId?: number;
    limit: number;
  }): Promise<AuditEntryView[]>;
  verify(): Promise<{ intact: boolean; brokenAt: number | null }>;
}

/** The caller's organization and its settings (administrators). */
export interface OrganizationBackend {
  get(): Promise<OrganizationView>;
  /** Changes the settings given (`null`: back to the deployment's default); the others are kept. */
  update(settings: { maxRunsInFlight?: number | null }): Promise<OrganizationView>;
}

/** Everything a CLI command may reach locally or remotely. */
export interface CliBackend {
  readonly runs: RunsBackend;
  readonly agents: AgentsBackend;
  readonly memories: MemoriesBackend;
  readonly audit: AuditBackend;
  readonly conversations: ConversationsBackend;
  readonly schedules: SchedulesBackend;
  readonly organization: OrganizationBackend;
}
