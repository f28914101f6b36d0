export * from './random.ts';
export * from './reward.ts';
export * from './bandit.ts';
export * from './learned-cost.ts';
export * from './simulate.ts';
