import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Agent, AnyTool, Brain, Clock, IdGenerator, RunHooks, ToolHost } from '@autonoma/core';
import { ToolRegistry, randomIds, systemClock, userError } from '@autonoma/core';
import { createPlannerBrain } from '@autonoma/core';
import { createEmbedder, createModelBrain, createModelCaller } from './brains/model-brain.ts';
import { resolveEmbeddingSettings, resolveModelSettings } from './brains/model-settings.ts';
import { createLearningHooks } from './learning/learning-hooks.ts';
import { runSignature } from './learning/signature.ts';
import type { ModelSettings } from './brains/model-settings.ts';
import type { Config } from './config/schema.ts';
import { secretValues } from './config/mask.ts';
import { RunService } from './runtime/run-service.ts';
import { holderIsDead, leaseOwnerId } from './runtime/lease-owner.ts';
import { createRedactor } from './security/redact.ts';
import type { Redactor } from './security/redact.ts';
import { createDatabase } from './store/database.ts';
import type { Database } from './store/database.ts';
import { createBuiltinTools } from './tools/builtins/index.ts';
import { createSkillTools } from './tools/skills/index.ts';

/** Options of {@link createApp} that are not configuration. */
export interface AppOptions {
  /** Directory relative paths resolve against. @default process.cwd() */
  cwd?: string;
  clock?: Clock;
  ids?: IdGenerator;
  /** Extra tools (tests, embedders). */
  tools?: AnyTool[];
  /** Overrides the learning and memory hooks (tests). */
  hooks?: RunHooks;
  /** Open an in-memory PGlite instead of the data directory (tests). */
  inMemory?: boolean;
}

/** The composition root's product: every adapter wired, one object handed to the CLI, API and workers. */
export interface App {
  config: Config;
  database: Database;
  tools: ToolHost;
  runs: RunService;
  redact: Redactor;
  orgId: string;
  /** `embedded` on PGlite, `cluster` on PostgreSQL. */
  mode: 'embedded' | 'cluster';
  close(): Promise<void>;
}

/** Organization of the embedded mode and of the CLI. */
export const defaultOrgId = 'org_default';

/**
 * Builds the application from a configuration: the store (PGlite under `home`, or PostgreSQL), the
 * tools, the brains and the run service. The only place that picks adapters.
 */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const cwd = options.cwd ?? process.cwd();
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const embedded = config.databaseUrl === undefined;
  const home = resolve(cwd, config.home);
  const database = await openDatabase(config, home, embedded, options.inMemory === true);
  const redact = createRedactor(secretValues(config));
  const modelSettings = config.model ? resolveModelSettings(modelInput(config)) : undefined;
  const caller = modelSettings ? createModelCaller(modelSettings) : undefined;
  const registry = new ToolRegistry([
    ...createBuiltinTools({
      httpAllow: config.httpAllow,
      ...(config.serpApiKey ? { serpApiKey: config.serpApiKey } : {}),
      ...(caller ? { llm: caller } : {}),
      audit: async (action, detail, context) => {
        await database.stores.audit.append({
          orgId: context.orgId,
          actor: `agent:${context.agentId}`,
          action,
          target: context.callId,
          detail,
          at: clock.now(),
        });
      },
    }),
    ...createSkillTools({}),
    ...(options.tools ?? []),
  ]);
  const embedder = config.embeddingModel
    ? createEmbedder(resolveEmbeddingSettings({ ...modelInput(config), model: config.embeddingModel }))
    : undefined;
  const embed = embedder
    ? async (text: string): Promise<number[]> => (await embedder.embed([text]))[0] ?? []
    : undefined;
  const hooks =
    options.hooks ??
    createLearningHooks({
      memories: database.stores.memories,
      stats: database.stores.stats,
      plans: database.stores.plans,
      clock,
      ...(embed ? { embed } : {}),
    });
  const planner = createPlannerBrain({
    now: () => clock.now(),
    stats: (context) =>
      database.stores.stats.get(context.run.orgId, context.run.agentId, runSignature(context.run)),
  });
  const brainFor = (agent: Agent): Brain => chooseBrain(agent, modelSettings, planner);
  const owner = leaseOwnerId();
  const runs = new RunService({
    orgId: defaultOrgId,
    runs: database.stores.runs,
    toolCalls: database.stores.toolCalls,
    agents: database.stores.agents,
    audit: database.stores.audit,
    tools: registry,
    brainFor,
    clock,
    ids,
    redact,
    owner,
    // Embedded: the data directory is locked by this process, so any other holder is dead.
    canSteal: embedded ? () => true : holderIsDead,
    hooks,
  });
  return {
    config,
    database,
    tools: registry,
    runs,
    redact,
    orgId: defaultOrgId,
    mode: embedded ? 'embedded' : 'cluster',
    close: () => database.close(),
  };
}

async function openDatabase(
  config: Config,
  home: string,
  embedded: boolean,
  inMemory: boolean,
): Promise<Database> {
  if (!embedded && config.databaseUrl) return createDatabase({ kind: 'postgres', url: config.databaseUrl });
  if (inMemory) return createDatabase({ kind: 'pglite' });
  const dir = join(home, 'data');
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw userError(
      'invalid_config',
      `cannot create the data directory ${dir} (AUTONOMA_HOME): ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  return createDatabase({ kind: 'pglite', dir });
}

function modelInput(config: Config): Parameters<typeof resolveModelSettings>[0] {
  return {
    model: config.model ?? '',
    ...(config.modelBaseUrl ? { baseUrl: config.modelBaseUrl } : {}),
    ...(config.modelApiKey ? { apiKey: config.modelApiKey } : {}),
    ...(config.openaiApiKey ? { openaiApiKey: config.openaiApiKey } : {}),
    ...(config.anthropicApiKey ? { anthropicApiKey: config.anthropicApiKey } : {}),
    timeoutMs: config.modelTimeoutMs,
    maxRetries: config.modelMaxRetries,
    prices: config.modelPrices,
  };
}

function chooseBrain(agent: Agent, model: ModelSettings | undefined, planner: Brain): Brain {
  if (agent.brain === 'planner') return planner;
  if (model) return createModelBrain(model);
  if (agent.brain === 'model') {
    throw userError(
      'invalid_config',
      `agent '${agent.name}' uses the model brain but no model is configured: set AUTONOMA_MODEL`,
    );
  }
  return planner;
}
