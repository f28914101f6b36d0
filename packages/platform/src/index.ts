/** Autonoma platform: the composition root and the pieces an embedding program needs. */
export { createApp, defaultOrgId, type App, type AppOptions } from './app.ts';
export { loadConfig, type Config, type LoadedConfig } from './config/index.ts';
export { RunService, type StartRun, type AdvanceOptions } from './runtime/run-service.ts';
export { createDatabase, type Database } from './store/index.ts';
