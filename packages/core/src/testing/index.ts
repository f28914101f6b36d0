export * from './fixed-clock.ts';
export { InMemoryRunStore } from './in-memory-run-store.ts';
export { InMemoryToolCallJournal } from './in-memory-tool-call-journal.ts';
export { InMemoryAgentStore } from './in-memory-agent-store.ts';
export { InMemoryMemoryStore, cosineSimilarity } from './in-memory-memory-store.ts';
export { InMemoryStatsStore, InMemoryPlanStore } from './in-memory-learning-store.ts';
export { InMemoryAuditLog, InMemorySettingsStore } from './in-memory-audit-log.ts';
export { createInMemoryStores, type InMemoryStores } from './in-memory-stores.ts';
