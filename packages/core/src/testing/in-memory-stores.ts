import { InMemoryAgentStore } from './in-memory-agent-store.ts';
import {
  InMemoryApiKeyStore,
  InMemoryLoginThrottle,
  InMemoryRunQuota,
  InMemorySessionStore,
  InMemoryUserStore,
} from './in-memory-account-stores.ts';
import { InMemoryAuditLog, InMemoryOrganizationStore, InMemorySettingsStore } from './in-memory-audit-log.ts';
import { InMemoryPlanStore, InMemoryStatsStore } from './in-memory-learning-store.ts';
import { InMemoryMemoryStore } from './in-memory-memory-store.ts';
import { InMemoryRunStore } from './in-memory-run-store.ts';
import { InMemoryScheduleStore } from './in-memory-schedule-store.ts';
import { InMemoryConversationStore } from './in-memory-conversation-store.ts';
import { InMemoryToolCallJournal } from './in-memory-tool-call-journal.ts';

/** Every store port, in memory; the same shape as the platform's `Database.stores`. */
export interface InMemoryStores {
  runs: InMemoryRunStore;
  toolCalls: InMemoryToolCallJournal;
  agents: InMemoryAgentStore;
  memories: InMemoryMemoryStore;
  stats: InMemoryStatsStore;
  plans: InMemoryPlanStore;
  audit: InMemoryAuditLog;
  settings: InMemorySettingsStore;
  organizations: InMemoryOrganizationStore;
  schedules: InMemoryScheduleStore;
  conversations: InMemoryConversationStore;
  users: InMemoryUserStore;
  apiKeys: InMemoryApiKeyStore;
  sessions: InMemorySessionStore;
  loginThrottle: InMemoryLoginThrottle;
  runQuota: InMemoryRunQuota;
}

/** Fresh in-memory stores (the journal is fenced by the run store's leases). */
export function createInMemoryStores(): InMemoryStores {
  const runs = new InMemoryRunStore();
  return {
    runs,
    toolCalls: new InMemoryToolCallJournal(runs),
    agents: new InMemoryAgentStore(),
    memories: new InMemoryMemoryStore(),
    stats: new InMemoryStatsStore(),
    plans: new InMemoryPlanStore(),
    audit: new InMemoryAuditLog(),
    settings: new InMemorySettingsStore(),
    organizations: new InMemoryOrganizationStore(),
    schedules: new InMemoryScheduleStore(),
    conversations: new InMemoryConversationStore(),
    users: new InMemoryUserStore(),
    apiKeys: new InMemoryApiKeyStore(),
    sessions: new InMemorySessionStore(),
    loginThrottle: new InMemoryLoginThrottle(),
    runQuota: new InMemoryRunQuota(runs),
  };
}
