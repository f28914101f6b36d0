export * from './schema.ts';
export * from './load-config.ts';
export * from './mask.ts';
export * from './environment.ts';
