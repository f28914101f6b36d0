export * from './fixed-clock.ts';
export * from './scripted-brain.ts';
export * from './fake-tools.ts';
export { InMemoryRunStore } from './in-memory-run-store.ts';
export { InMemoryToolCallJournal } from './in-memory-tool-call-journal.ts';
export { InMemoryAgentStore } from './in-memory-agent-store.ts';
export { InMemoryMemoryStore, cosineSimilarity } from './in-memory-memory-store.ts';
export { InMemoryStatsStore, InMemoryPlanStore } from './in-memory-learning-store.ts';
export { InMemoryAuditLog, InMemoryOrganizationStore, InMemorySettingsStore } from './in-memory-audit-log.ts';
export { InMemoryScheduleStore } from './in-memory-schedule-store.ts';
export { InMemoryConversationStore } from './in-memory-conversation-store.ts';
export {
  InMemoryApiKeyStore,
  InMemoryLoginThrottle,
  InMemoryRunQuota,
  InMemorySessionStore,
  InMemoryUserStore,
} from './in-memory-account-stores.ts';
export { createInMemoryStores, type InMemoryStores } from './in-memory-stores.ts';
