export * from './run.ts';
export * from './agent.ts';
export * from './events.ts';
export * from './storable.ts';
export * from './context.ts';
export * from './scope.ts';
