import { internalError } from '@autonoma/core';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { EmbeddingModel, LanguageModel } from 'ai';
import type { ModelSettings } from './model-settings.ts';

/** Transport options shared by every model adapter. */
export interface TransportOptions {
  /** Replaces the global `fetch` (tests, proxies). */
  fetch?: typeof globalThis.fetch;
}

/**
 * The AI SDK language model for `settings`. OpenAI goes through the Chat Completions API, which every
 * OpenAI model and most gateways speak.
 */
export function createLanguageModel(settings: ModelSettings, options: TransportOptions = {}): LanguageModel {
  switch (settings.provider) {
    case 'openai':
      return createOpenAI({ apiKey: settings.apiKey, baseURL: settings.baseUrl, fetch: options.fetch }).chat(
        settings.model,
      );
    case 'anthropic':
      return createAnthropic({
        apiKey: settings.apiKey,
        baseURL: settings.baseUrl,
        fetch: options.fetch,
      }).languageModel(settings.model);
    case 'openai-compatible':
      return compatibleProvider(settings, options).chatModel(settings.model);
  }
}

/** The AI SDK embedding model for `settings` (`openai` or `openai-compatible`). */
export function createEmbeddingModel(
  settings: ModelSettings,
  options: TransportOptions = {},
): EmbeddingModel {
  switch (settings.provider) {
    case 'openai':
      return createOpenAI({
        apiKey: settings.apiKey,
        baseURL: settings.baseUrl,
        fetch: options.fetch,
      }).embeddingModel(settings.model);
    case 'openai-compatible':
      return compatibleProvider(settings, options).embeddingModel(settings.model);
    case 'anthropic':
      throw internalError('anthropic serves no embedding models (resolveEmbeddingSettings rejects it)');
  }
}

function compatibleProvider(
  settings: ModelSettings,
  options: TransportOptions,
): ReturnType<typeof createOpenAICompatible> {
  return createOpenAICompatible({
    name: 'openai-compatible',
    // resolveModelSettings guarantees a base URL for this provider.
    baseURL: settings.baseUrl ?? 'http://127.0.0.1:11434/v1',
    apiKey: settings.apiKey,
    fetch: options.fetch,
    includeUsage: true,
  });
}
