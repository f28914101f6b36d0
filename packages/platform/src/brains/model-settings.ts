import { AutonomaError } from '@autonoma/core';
import type { ModelPrices } from './pricing.ts';

/** Model providers Autonoma speaks to through the Vercel AI SDK. */
export const modelProviders = ['openai', 'anthropic', 'openai-compatible'] as const;
/** A model provider. */
export type ModelProvider = (typeof modelProviders)[number];

/** Providers that serve embedding models. */
export const embeddingProviders = ['openai', 'openai-compatible'] as const;

/** Everything needed to call one model. Holds a secret: never log or emit it whole. */
export interface ModelSettings {
  provider: ModelProvider;
  /** The provider's model id, e.g. `gpt-4.1-mini` or `llama3.1:8b`. */
  model: string;
  /** API base URL including the version path (e.g. `http://127.0.0.1:11434/v1`). Absent: the provider default. */
  baseUrl?: string;
  /** Absent only for `openai-compatible` servers that need no key. */
  apiKey?: string;
  /** Time limit of one model call attempt in milliseconds. @default 60000 */
  timeoutMs: number;
  /** Retries after the first attempt, for retryable failures. @default 2 */
  maxRetries: number;
  /** Price overrides per model id (USD per million tokens), merged over the built-in table. */
  prices?: Readonly<Record<string, ModelPrices>>;
}

/** Raw values the config module hands over (already read from flags, env and file). */
export interface ModelSettingsInput {
  /** `AUTONOMA_MODEL`: `<provider>:<model>`. */
  model: string;
  /** `AUTONOMA_MODEL_BASE_URL`. */
  baseUrl?: string;
  /** `AUTONOMA_MODEL_API_KEY`: wins over the provider-specific key. */
  apiKey?: string;
  /** `OPENAI_API_KEY`. */
  openaiApiKey?: string;
  /** `ANTHROPIC_API_KEY`. */
  anthropicApiKey?: string;
  /** @default 60000 */
  timeoutMs?: number;
  /** @default 2 */
  maxRetries?: number;
  prices?: Readonly<Record<string, ModelPrices>>;
}

/** Default time limit of one model call attempt. */
export const defaultModelTimeoutMs = 60_000;
/** Default number of retries of a model call. */
export const defaultModelRetries = 2;

const configError = (key: string, message: string): AutonomaError =>
  new AutonomaError('invalid_config', message, { category: 'user', details: { key } });

/**
 * Splits `<provider>:<model>`. Only the first colon separates, so `openai-compatible:llama3.1:8b`
 * names the model `llama3.1:8b`.
 * @param key the setting named in errors. @default 'AUTONOMA_MODEL'
 */
export function parseModelString(
  value: string,
  key = 'AUTONOMA_MODEL',
  allowed: readonly ModelProvider[] = modelProviders,
): { provider: ModelProvider; model: string } {
  const trimmed = value.trim();
  const separator = trimmed.indexOf(':');
  const provider = separator === -1 ? trimmed : trimmed.slice(0, separator);
  const model = separator === -1 ? '' : trimmed.slice(separator + 1).trim();
  if (!isProvider(provider, allowed)) {
    throw configError(
      key,
      `${key} must be '<provider>:<model>' with provider ${allowed.join(', ')}; got '${trimmed}'`,
    );
  }
  if (model === '') {
    throw configError(key, `${key} names no model after '${provider}:' (e.g. '${exampleFor(provider)}')`);
  }
  return { provider, model };
}

function isProvider(value: string, allowed: readonly ModelProvider[]): value is ModelProvider {
  return (allowed as readonly string[]).includes(value);
}

function exampleFor(provider: ModelProvider): string {
  if (provider === 'anthropic') return 'anthropic:claude-sonnet-4-5';
  if (provider === 'openai-compatible') return 'openai-compatible:llama3.1';
  return 'openai:gpt-4.1-mini';
}

/** Builds settings for the chat model named by `AUTONOMA_MODEL`. Throws `invalid_config` naming the key. */
export function resolveModelSettings(input: ModelSettingsInput): ModelSettings {
  return resolve(input, 'AUTONOMA_MODEL', modelProviders);
}

/**
 * Builds settings for the embedding model named by `AUTONOMA_EMBEDDING_MODEL` (`openai` or
 * `openai-compatible`). It shares the base URL and keys of the chat model.
 */
export function resolveEmbeddingSettings(input: ModelSettingsInput): ModelSettings {
  return resolve(input, 'AUTONOMA_EMBEDDING_MODEL', embeddingProviders);
}

function resolve(input: ModelSettingsInput, key: string, allowed: readonly ModelProvider[]): ModelSettings {
  const { provider, model } = parseModelString(input.model, key, allowed);
  const baseUrl = nonEmpty(input.baseUrl);
  if (baseUrl !== undefined && !isHttpUrl(baseUrl)) {
    throw configError('AUTONOMA_MODEL_BASE_URL', `AUTONOMA_MODEL_BASE_URL must be an http(s) URL`);
  }
  if (provider === 'openai-compatible' && baseUrl === undefined) {
    throw configError(
      'AUTONOMA_MODEL_BASE_URL',
      `AUTONOMA_MODEL_BASE_URL is required for openai-compatible models (e.g. http://127.0.0.1:11434/v1)`,
    );
  }
  const apiKey = nonEmpty(input.apiKey) ?? providerKey(input, provider);
  if (apiKey === undefined && provider !== 'openai-compatible') {
    const specific = provider === 'openai' ? 'OPENAI_API_KEY' : 'ANTHROPIC_API_KEY';
    throw configError(specific, `${key} uses ${provider}: set AUTONOMA_MODEL_API_KEY or ${specific}`);
  }
  const timeoutMs = input.timeoutMs ?? defaultModelTimeoutMs;
  const maxRetries = input.maxRetries ?? defaultModelRetries;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw configError(key, `the model call timeout must be a positive number of milliseconds`);
  }
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw configError(key, `the model call retry count must be a non-negative integer`);
  }
  return {
    provider,
    model,
    ...(baseUrl === undefined ? {} : { baseUrl: baseUrl.replace(/\/+$/, '') }),
    ...(apiKey === undefined ? {} : { apiKey }),
    timeoutMs,
    maxRetries,
    ...(input.prices === undefined ? {} : { prices: input.prices }),
  };
}

function providerKey(input: ModelSettingsInput, provider: ModelProvider): string | undefined {
  if (provider === 'openai') return nonEmpty(input.openaiApiKey);
  if (provider === 'anthropic') return nonEmpty(input.anthropicApiKey);
  return undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The name a brain reports, e.g. `openai:gpt-4.1-mini`. */
export const modelName = (settings: Pick<ModelSettings, 'provider' | 'model'>): string =>
  `${settings.provider}:${settings.model}`;
