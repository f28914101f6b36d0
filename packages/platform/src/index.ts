/** Autonoma platform: the composition root and the pieces an embedding program needs. */
export { createApp, type App, type AppOptions } from './app.ts';
export { loadConfig, type Config, type LoadedConfig } from './config/index.ts';
export * from './services/index.ts';
export { createDatabase, type Database } from './store/index.ts';
