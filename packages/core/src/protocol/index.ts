export * from './run.ts';
export * from './agent.ts';
export * from './events.ts';
