export * from './types.ts';
export * from './compile.ts';
export * from './heuristic.ts';
export * from './plan.ts';
export * from './replan.ts';
export * from './tool-actions.ts';
