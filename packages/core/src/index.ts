export * from './errors.ts';
export * from './clock.ts';
export * from './protocol/index.ts';
export * from './ports/index.ts';
export * from './tools/index.ts';
export * from './brains/brain.ts';
export * from './agent/index.ts';
