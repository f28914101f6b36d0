/** Prices of one model in USD per million tokens (the shape of the `modelPrices` config setting). */
export interface ModelPrices {
  /** USD per million input tokens. */
  input: number;
  /** USD per million output tokens. */
  output: number;
}

/** Token counts of one call. */
export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
}

/** The cost of a call, and whether the model's price was known. */
export interface CallCost {
  costUsd: number;
  /** False when the model is in no price table: the cost is then 0, not a real figure. */
  priced: boolean;
}

const price = (input: number, output: number): ModelPrices => Object.freeze({ input, output });

/**
 * List prices of common models (USD per million tokens, standard tier, no cache discounts), as published
 * by OpenAI and Anthropic when this table was written. Operators override them with `prices`.
 */
export const defaultModelPrices: Readonly<Record<string, ModelPrices>> = Object.freeze({
  // OpenAI
  'gpt-5': price(1.25, 10),
  'gpt-5-mini': price(0.25, 2),
  'gpt-5-nano': price(0.05, 0.4),
  'gpt-4.1': price(2, 8),
  'gpt-4.1-mini': price(0.4, 1.6),
  'gpt-4.1-nano': price(0.1, 0.4),
  'gpt-4o': price(2.5, 10),
  'gpt-4o-mini': price(0.15, 0.6),
  o3: price(2, 8),
  'o3-mini': price(1.1, 4.4),
  'o4-mini': price(1.1, 4.4),
  'text-embedding-3-small': price(0.02, 0),
  'text-embedding-3-large': price(0.13, 0),
  // Anthropic
  'claude-opus-4-5': price(5, 25),
  'claude-opus-4-1': price(15, 75),
  'claude-opus-4': price(15, 75),
  'claude-sonnet-4-5': price(3, 15),
  'claude-sonnet-4': price(3, 15),
  'claude-3-7-sonnet': price(3, 15),
  'claude-haiku-4-5': price(1, 5),
  'claude-3-5-haiku': price(0.8, 4),
});

/** Dated or aliased ids (`gpt-4.1-mini-2025-04-14`, `claude-sonnet-4-5-20250929`, `…-latest`) name their family. */
const versionSuffix = /-(?:\d{4}-\d{2}-\d{2}|\d{8}|latest)$/;

/** A model as priced: its provider and id. */
export interface PricedModel {
  provider: string;
  model: string;
}

/**
 * The prices of a model: the caller's overrides first (keyed `provider:model` or `model`), then the
 * built-in table; a dated id falls back to its undated family. `undefined` when unknown.
 */
export function findModelPrices(
  { provider, model }: PricedModel,
  overrides: Readonly<Record<string, ModelPrices>> = {},
): ModelPrices | undefined {
  const family = model.replace(versionSuffix, '');
  return (
    overrides[`${provider}:${model}`] ??
    overrides[`${provider}:${family}`] ??
    overrides[model] ??
    overrides[family] ??
    // The built-in table lists first-party models only: a same-named model behind a gateway is not priced.
    (provider === 'openai-compatible' ? undefined : (defaultModelPrices[model] ?? defaultModelPrices[family]))
  );
}

/** The USD cost of a call. Unknown models cost 0 and say so (`priced: false`). */
export function priceCall(
  model: PricedModel,
  tokens: TokenCounts,
  overrides?: Readonly<Record<string, ModelPrices>>,
): CallCost {
  const prices = findModelPrices(model, overrides);
  if (!prices) return { costUsd: 0, priced: false };
  const costUsd = (tokens.inputTokens * prices.input + tokens.outputTokens * prices.output) / 1_000_000;
  return { costUsd, priced: true };
}
