export * from './run-agent.ts';
export * from './runtime.ts';
export * from './transcript.ts';
export * from './tool-calls.ts';
export * from './budgets.ts';
export * from './outcome.ts';
export * from './stable-json.ts';
export * from './read-log.ts';
