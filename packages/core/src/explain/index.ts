export * from './explanation.ts';
export { explainRun } from './explain-run.ts';
