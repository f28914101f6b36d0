import type { Command } from 'commander';
import type { App, AppOptions } from '../app.ts';
import type { ConfigKey, LoadedConfig } from '../config/index.ts';
import { loadConfig, processEnvironment } from '../config/index.ts';

/** Global flags shared by every command. */
interface GlobalFlags {
  home?: string;
  databaseUrl?: string;
  model?: string;
  config?: string;
  logLevel?: string;
  server?: string;
  /** `serve`'s own flags. */
  port?: string;
  host?: string;
}

/** Loads the configuration from the command's global flags, the environment and the config file. */
export function configFor(command: Command): LoadedConfig {
  const flags = command.optsWithGlobals<GlobalFlags>();
  const values: Partial<Record<ConfigKey, unknown>> = {
    home: flags.home,
    databaseUrl: flags.databaseUrl,
    model: flags.model,
    logLevel: flags.logLevel,
    server: flags.server,
    port: flags.port,
    host: flags.host,
  };
  return loadConfig({
    flags: values,
    env: processEnvironment(),
    cwd: process.cwd(),
    ...(flags.config ? { file: flags.config } : {}),
  });
}

/** Opens the app for one command and always closes it. */
export async function withApp<T>(
  command: Command,
  action: (app: App) => Promise<T>,
  options: AppOptions = {},
): Promise<T> {
  const { config } = configFor(command);
  // Loaded on demand so `--help` and `--version` start instantly.
  const { createApp } = await import('../app.ts');
  const app = await createApp(config, options);
  try {
    return await action(app);
  } finally {
    await app.close();
  }
}
