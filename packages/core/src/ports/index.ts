export * from './run-store.ts';
export * from './memory-store.ts';
export * from './learning-store.ts';
export * from './audit-log.ts';
export * from './event-bus.ts';
export * from './job-queue.ts';
export * from './schedule-store.ts';
export * from './conversation-store.ts';
