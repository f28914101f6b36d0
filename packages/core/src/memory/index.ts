export * from './embed.ts';
export * from './recall-score.ts';
export * from './summarize.ts';
export * from './working-memory.ts';
export * from './reflection.ts';
