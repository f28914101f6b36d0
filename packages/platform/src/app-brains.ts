/** Which brain an agent gets, and the model settings behind it (part of the composition root). */
import type { Agent, Brain } from '@autonoma/core';
import { userError } from '@autonoma/core';
import type { ToolStatsSource } from './brains/model-decision.ts';
import type { ModelSettings } from './brains/model-settings.ts';
import { resolveEmbeddingSettings, resolveModelSettings } from './brains/model-settings.ts';
import type { Config } from './config/schema.ts';

/** The AI SDK side of the platform (`brains/model-brain.ts`), loaded on demand. */
type ModelProviders = Awaited<ReturnType<typeof loadProviders>>;

const loadProviders = () => import('./brains/model-brain.ts');

/** Model settings resolved from the configuration (checked before anything is opened). */
export interface ModelChoice {
  model: ModelSettings | undefined;
  embedding: ModelSettings | undefined;
  /** The AI SDK side, loaded only when a model or an embedding model is configured. */
  providers: ModelProviders | undefined;
}

/** Resolves the configured models (throws `invalid_config` naming the setting) and loads the SDK if needed. */
export async function chooseModels(config: Config): Promise<ModelChoice> {
  const model = config.model ? resolveModelSettings(modelInput(config, config.model)) : undefined;
  const embedding = config.embeddingModel
    ? resolveEmbeddingSettings(modelInput(config, config.embeddingModel))
    : undefined;
  return {
    model,
    embedding,
    providers: model || embedding ? await loadProviders() : undefined,
  };
}

function modelInput(config: Config, model: string): Parameters<typeof resolveModelSettings>[0] {
  return {
    model,
    ...(config.modelBaseUrl ? { baseUrl: config.modelBaseUrl } : {}),
    ...(config.modelApiKey ? { apiKey: config.modelApiKey } : {}),
    ...(config.openaiApiKey ? { openaiApiKey: config.openaiApiKey } : {}),
    ...(config.anthropicApiKey ? { anthropicApiKey: config.anthropicApiKey } : {}),
    timeoutMs: config.modelTimeoutMs,
    maxRetries: config.modelMaxRetries,
    prices: config.modelPrices,
  };
}

/** What {@link brainChooser} hands to the brains it makes. */
export interface BrainParts {
  planner: Brain;
  /** The learning statistics a model brain scores the offered tools with (its decision events). */
  stats: ToolStatsSource;
}

/**
 * Picks each agent's brain: the planner, or the configured model. The model brain holds no run's
 * state, so one is made, on first use, and shared by every run the process advances (building the
 * AI SDK provider per run cost about 2 % of a worker's CPU on one-step runs).
 */
export function brainChooser(models: ModelChoice, parts: BrainParts): (agent: Agent) => Brain {
  const { planner } = parts;
  let modelBrain: Brain | undefined;
  return (agent) => {
    if (agent.brain === 'planner') return planner;
    if (models.model && models.providers)
      return (modelBrain ??= models.providers.createModelBrain(models.model, { stats: parts.stats }));
    if (agent.brain === 'model') {
      throw userError(
        'invalid_config',
        `agent '${agent.name}' uses the model brain but no model is configured: set AUTONOMA_MODEL`,
      );
    }
    return planner;
  };
}
