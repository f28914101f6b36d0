export { createModelBrain, type ModelBrainOptions } from './model-brain.ts';
export {
  createEmbedder,
  createModelCaller,
  type Embedder,
  type GenerateResult,
  type ModelCaller,
  type ModelHelperOptions,
} from './model-caller.ts';
export {
  classifyModelError,
  parseRetryAfter,
  type ModelFailure,
  type ModelFailureCode,
} from './model-errors.ts';
export { buildModelPrompt, providerCallId, type ModelPrompt } from './model-prompt.ts';
export {
  defaultModelRetries,
  defaultModelTimeoutMs,
  modelName,
  modelProviders,
  parseModelString,
  resolveEmbeddingSettings,
  resolveModelSettings,
  type ModelProvider,
  type ModelSettings,
  type ModelSettingsInput,
} from './model-settings.ts';
export {
  defaultModelPrices,
  findModelPrices,
  priceCall,
  type CallCost,
  type ModelPrices,
  type PricedModel,
  type TokenCounts,
} from './pricing.ts';
