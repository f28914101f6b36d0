import { systemClock, type Clock } from '@autonoma/core';
import { embedMany, generateText } from 'ai';
import { createEmbeddingModel, createLanguageModel, type TransportOptions } from './model-provider.ts';
import { modelName, type ModelSettings } from './model-settings.ts';
import { priceCall, type TokenCounts } from './pricing.ts';
import { callWithRetries, defaultRetryTiming, type RetryPolicy } from './retry-policy.ts';

/** Options of the model helpers. */
export interface ModelHelperOptions extends TransportOptions {
  /** Sleeps between retries. @default systemClock */
  clock?: Clock;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
  /** @default 500 */
  baseDelayMs?: number;
  /** @default 60000 */
  maxDelayMs?: number;
}

/** What one text generation produced. */
export interface GenerateResult {
  text: string;
  usage: TokenCounts;
  costUsd: number;
  /** False when the model has no known price (the cost is then 0). */
  priced: boolean;
}

/** A plain prompt-in, text-out model call, for `llm_generate` and reflection. */
export interface ModelCaller {
  /** e.g. `openai:gpt-4.1-mini`. */
  readonly name: string;
  /** Throws an `AutonomaError` (code `rate_limited`, `model_timeout`, …; secret-free) when it gives up. */
  generate(prompt: string, signal?: AbortSignal): Promise<GenerateResult>;
}

/** Turns texts into vectors, for memory recall and plan matching. */
export interface Embedder {
  /** e.g. `openai:text-embedding-3-small`. */
  readonly name: string;
  /** One vector per text, in order. Throws an `AutonomaError` when the provider fails. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]>;
}

function retryPolicy(settings: ModelSettings, options: ModelHelperOptions): RetryPolicy {
  return {
    maxRetries: settings.maxRetries,
    baseDelayMs: options.baseDelayMs ?? defaultRetryTiming.baseDelayMs,
    maxDelayMs: options.maxDelayMs ?? defaultRetryTiming.maxDelayMs,
    random: options.random ?? Math.random,
  };
}

function secretsOf(settings: ModelSettings): string[] {
  return settings.apiKey === undefined ? [] : [settings.apiKey];
}

/** A {@link ModelCaller} over `settings`, with the same retries and timeouts as the model brain. */
export function createModelCaller(settings: ModelSettings, options: ModelHelperOptions = {}): ModelCaller {
  const model = createLanguageModel(settings, options);
  const clock = options.clock ?? systemClock;
  const policy = retryPolicy(settings, options);
  return {
    name: modelName(settings),
    async generate(prompt, signal) {
      const result = await callWithRetries(
        (attemptSignal) => generateText({ model, prompt, maxRetries: 0, abortSignal: attemptSignal }),
        { policy, clock, timeoutMs: settings.timeoutMs, secrets: secretsOf(settings), signal },
      );
      const usage = {
        inputTokens: result.usage.inputTokens ?? 0,
        outputTokens: result.usage.outputTokens ?? 0,
      };
      return { text: result.text, usage, ...priceCall(settings, usage, settings.prices) };
    },
  };
}

/** An {@link Embedder} over an `openai` or `openai-compatible` embedding model (`AUTONOMA_EMBEDDING_MODEL`). */
export function createEmbedder(settings: ModelSettings, options: ModelHelperOptions = {}): Embedder {
  const model = createEmbeddingModel(settings, options);
  const clock = options.clock ?? systemClock;
  const policy = retryPolicy(settings, options);
  return {
    name: modelName(settings),
    async embed(texts, signal) {
      if (texts.length === 0) return [];
      const result = await callWithRetries(
        (attemptSignal) =>
          embedMany({ model, values: [...texts], maxRetries: 0, abortSignal: attemptSignal }),
        { policy, clock, timeoutMs: settings.timeoutMs, secrets: secretsOf(settings), signal },
      );
      return result.embeddings.map((embedding) => [...embedding]);
    },
  };
}
