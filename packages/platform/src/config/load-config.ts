import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { userError } from '@autonoma/core';
import { z } from 'zod';
import type { Config, ConfigKey } from './schema.ts';
import { ConfigSchema, environmentNames } from './schema.ts';

/** Where a configuration value came from. */
export type ConfigSource = 'flag' | 'env' | 'file' | 'default';

/** The loaded configuration and the source of each value. */
export interface LoadedConfig {
  config: Config;
  sources: Readonly<Record<ConfigKey, ConfigSource>>;
  /** The configuration file that was read, if any. */
  file: string | undefined;
}

/** Inputs of {@link loadConfig}. */
export interface LoadConfigInput {
  /** Values from command-line flags (highest precedence). */
  flags?: Partial<Record<ConfigKey, unknown>>;
  /** The process environment. */
  env: Readonly<Record<string, string | undefined>>;
  /** Directory holding `autonoma.config.json`. */
  cwd: string;
  /** An explicit configuration file (must exist). */
  file?: string;
}

/** Name of the configuration file looked up in the working directory. */
export const configFileName = 'autonoma.config.json';

/**
 * Loads the configuration: flag > env > `autonoma.config.json` > default. Frozen. An invalid value
 * throws an `invalid_config` error whose one-line message names the key and its variable.
 */
export function loadConfig(input: LoadConfigInput): LoadedConfig {
  const filePath = input.file ? resolve(input.cwd, input.file) : resolve(input.cwd, configFileName);
  const fromFile = readConfigFile(filePath, input.file !== undefined);
  const merged: Record<string, unknown> = {};
  const sources: Partial<Record<ConfigKey, ConfigSource>> = {};
  for (const key of Object.keys(ConfigSchema.shape) as ConfigKey[]) {
    const envName = environmentNames[key];
    const envValue = envName ? input.env[envName] : undefined;
    if (input.flags?.[key] !== undefined) {
      merged[key] = input.flags[key];
      sources[key] = 'flag';
    } else if (envValue !== undefined && envValue !== '') {
      merged[key] = key === 'modelPrices' ? parseJson(envValue, key) : envValue;
      sources[key] = 'env';
    } else if (fromFile?.values[key] !== undefined) {
      merged[key] = fromFile.values[key];
      sources[key] = 'file';
    } else {
      sources[key] = 'default';
    }
  }
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? '');
    throw userError(
      'invalid_config',
      `invalid configuration: ${describeKey(key as ConfigKey, sources)}: ${issue?.message ?? 'invalid'}`,
      { key },
    );
  }
  return {
    config: Object.freeze(parsed.data),
    sources: Object.freeze(sources as Record<ConfigKey, ConfigSource>),
    file: fromFile ? filePath : undefined,
  };
}

function describeKey(key: ConfigKey, sources: Partial<Record<ConfigKey, ConfigSource>>): string {
  const envName = environmentNames[key];
  const source = sources[key];
  const where =
    source === 'env'
      ? ` from ${envName}`
      : source === 'file'
        ? ` in ${configFileName}`
        : source === 'flag'
          ? ' from the command line'
          : '';
  return `'${key}'${envName ? ` (env ${envName})` : ''}${where}`;
}

function readConfigFile(path: string, required: boolean): { values: Record<string, unknown> } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw userError(
      'invalid_config',
      `cannot read configuration file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  const value = parseJson(text, path);
  const shape = z.record(z.string(), z.unknown()).safeParse(value);
  if (!shape.success || Array.isArray(value))
    throw userError('invalid_config', `${path}: must hold a JSON object`);
  const known = new Set(Object.keys(ConfigSchema.shape));
  for (const key of Object.keys(shape.data)) {
    if (!known.has(key)) throw userError('invalid_config', `${path}: unknown key '${key}'`, { key });
  }
  return { values: shape.data };
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw userError(
      'invalid_config',
      `${where}: not valid JSON (${(error as Error).message.split('\n')[0]})`,
    );
  }
}
