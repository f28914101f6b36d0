import { AutonomaError } from '@autonoma/core';
import { describe, expect, it } from 'vitest';
import {
  parseModelString,
  resolveEmbeddingSettings,
  resolveModelSettings,
  type ModelSettingsInput,
} from '../../src/brains/model-settings.ts';
import { findModelPrices, priceCall } from '../../src/brains/pricing.ts';

function configError(input: ModelSettingsInput, resolve = resolveModelSettings): AutonomaError {
  try {
    resolve(input);
  } catch (error) {
    if (error instanceof AutonomaError) return error;
    throw error;
  }
  throw new Error('expected an invalid_config error');
}

describe('model settings', () => {
  it('splits a model string on its first colon', () => {
    expect(parseModelString('openai:gpt-4.1-mini')).toEqual({ provider: 'openai', model: 'gpt-4.1-mini' });
    expect(parseModelString('anthropic:claude-sonnet-4-5')).toEqual({
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
    });
    expect(parseModelString('openai-compatible:llama3.1:8b')).toEqual({
      provider: 'openai-compatible',
      model: 'llama3.1:8b',
    });
  });

  it.each([
    [
      'gemini:pro',
      /AUTONOMA_MODEL must be '<provider>:<model>' with provider openai, anthropic, openai-compatible/,
    ],
    ['gpt-4.1-mini', /AUTONOMA_MODEL must be '<provider>:<model>'/],
    ['openai:', /AUTONOMA_MODEL names no model after 'openai:'/],
    ['', /AUTONOMA_MODEL must be/],
  ])('rejects %j with a one-line invalid_config error naming AUTONOMA_MODEL', (model, message) => {
    const error = configError({ model, openaiApiKey: 'k' });
    expect(error.code).toBe('invalid_config');
    expect(error.category).toBe('user');
    expect(error.status).toBe(400);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
  });

  it('takes AUTONOMA_MODEL_API_KEY over the provider key', () => {
    const settings = resolveModelSettings({
      model: 'openai:gpt-4.1',
      apiKey: 'general',
      openaiApiKey: 'specific',
    });
    expect(settings).toEqual({
      provider: 'openai',
      model: 'gpt-4.1',
      apiKey: 'general',
      timeoutMs: 60_000,
      maxRetries: 2,
    });
    expect(resolveModelSettings({ model: 'anthropic:claude-opus-4-1', anthropicApiKey: 'a' }).apiKey).toBe(
      'a',
    );
  });

  it('names the missing key variable', () => {
    expect(configError({ model: 'openai:gpt-4.1', anthropicApiKey: 'wrong one' }).message).toBe(
      'AUTONOMA_MODEL uses openai: set AUTONOMA_MODEL_API_KEY or OPENAI_API_KEY',
    );
    expect(configError({ model: 'anthropic:claude-sonnet-4-5' }).message).toContain('ANTHROPIC_API_KEY');
  });

  it('lets an openai-compatible server go without a key but not without a base URL', () => {
    expect(
      resolveModelSettings({ model: 'openai-compatible:llama3.1', baseUrl: 'http://127.0.0.1:11434/v1/' }),
    ).toEqual({
      provider: 'openai-compatible',
      model: 'llama3.1',
      baseUrl: 'http://127.0.0.1:11434/v1',
      timeoutMs: 60_000,
      maxRetries: 2,
    });
    expect(configError({ model: 'openai-compatible:llama3.1' }).message).toContain('AUTONOMA_MODEL_BASE_URL');
    expect(configError({ model: 'openai:gpt-4.1', apiKey: 'k', baseUrl: 'ftp://x' }).details).toEqual({
      key: 'AUTONOMA_MODEL_BASE_URL',
    });
  });

  it('allows only embedding providers in AUTONOMA_EMBEDDING_MODEL', () => {
    expect(resolveEmbeddingSettings({ model: 'openai:text-embedding-3-small', apiKey: 'k' }).model).toBe(
      'text-embedding-3-small',
    );
    const error = configError(
      { model: 'anthropic:claude-sonnet-4-5', apiKey: 'k' },
      resolveEmbeddingSettings,
    );
    expect(error.message).toMatch(
      /^AUTONOMA_EMBEDDING_MODEL must be '<provider>:<model>' with provider openai, openai-compatible/,
    );
  });

  it('never puts the key in an error', () => {
    const error = configError({ model: 'openai:gpt-4.1', apiKey: 'sk-secret', baseUrl: 'not a url' });
    expect(JSON.stringify(error)).not.toContain('sk-secret');
    expect(error.message).not.toContain('sk-secret');
  });
});

describe('pricing', () => {
  it('prices known models per million tokens, dated ids included', () => {
    expect(
      priceCall(
        { provider: 'openai', model: 'gpt-4.1-mini' },
        { inputTokens: 1_000_000, outputTokens: 1_000_000 },
      ),
    ).toEqual({
      costUsd: 2,
      priced: true,
    });
    expect(findModelPrices({ provider: 'anthropic', model: 'claude-sonnet-4-5-20250929' })).toEqual({
      input: 3,
      output: 15,
    });
    expect(findModelPrices({ provider: 'openai', model: 'gpt-4.1-2025-04-14' })).toEqual({
      input: 2,
      output: 8,
    });
  });

  it('costs unknown models nothing and says so', () => {
    expect(
      priceCall(
        { provider: 'openai-compatible', model: 'llama3.1' },
        { inputTokens: 500, outputTokens: 500 },
      ),
    ).toEqual({
      costUsd: 0,
      priced: false,
    });
    // A gateway serving a same-named model has its own prices.
    expect(findModelPrices({ provider: 'openai-compatible', model: 'gpt-4.1' })).toBeUndefined();
  });

  it('lets the caller override prices by provider:model or model', () => {
    const model = { provider: 'openai-compatible', model: 'llama3.1' };
    const tokens = { inputTokens: 1_000_000, outputTokens: 2_000_000 };
    expect(
      priceCall(model, tokens, { 'openai-compatible:llama3.1': { input: 0.1, output: 0.2 } }).costUsd,
    ).toBeCloseTo(0.5);
    expect(priceCall(model, tokens, { llama3: { input: 1, output: 1 } }).priced).toBe(false);
    expect(
      priceCall({ provider: 'openai', model: 'gpt-4o' }, tokens, { 'gpt-4o': { input: 0, output: 1 } })
        .costUsd,
    ).toBe(2);
  });
});
