export * from './bwrap.ts';
export * from './quickjs-runner.ts';
export * from './run-process.ts';
