export * from './goal-spec.ts';
export * from './goal-signature.ts';
export * from './derive-goal.ts';
