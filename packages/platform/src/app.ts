import { resolve } from 'node:path';
import type { Agent, AnyTool, Brain, Clock, IdGenerator, Run, RunHooks, ToolHost } from '@autonoma/core';
import {
  ToolRegistry,
  combineHosts,
  createPlannerBrain,
  randomIds,
  systemClock,
  userError,
} from '@autonoma/core';
import type { ModelSettings } from './brains/model-settings.ts';
import { resolveEmbeddingSettings, resolveModelSettings } from './brains/model-settings.ts';
import { secretValues } from './config/mask.ts';
import type { Config } from './config/schema.ts';
import { createLearningHooks } from './learning/learning-hooks.ts';
import { createMemoryPort } from './learning/memory-port.ts';
import { runSignature } from './learning/signature.ts';
import { holderIsDead, leaseOwnerId } from './runtime/lease-owner.ts';
import { RunService } from './runtime/run-service.ts';
import type { ScopedTools } from './runtime/run-service.ts';
import type { Redactor } from './security/redact.ts';
import { createRedactor } from './security/redact.ts';
import type { Database } from './store/database.ts';
import { createDatabase } from './store/database.ts';
import { openEmbeddedDatabase } from './store/open-embedded.ts';
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
  clock: Clock;
  /** `embedded` on PGlite, `cluster` on PostgreSQL. */
  mode: 'embedded' | 'cluster';
  close(): Promise<void>;
}

/** Organization of the embedded mode and of the CLI. */
export const defaultOrgId = 'org_default';

/** Model settings resolved from the configuration (checked before anything is opened). */
interface ModelChoice {
  model: ModelSettings | undefined;
  embedding: ModelSettings | undefined;
  /** The AI SDK side, loaded only when a model or an embedding model is configured. */
  providers: typeof import('./brains/model-brain.ts') | undefined;
}

/**
 * Builds the application from a configuration: the store (PGlite under `home`, or PostgreSQL), the
 * tools, the brains, learning and the run service. The only place that picks adapters.
 */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const embedded = config.databaseUrl === undefined;
  // Settings that can be wrong are checked before the store is opened, so a bad value leaves nothing open.
  const model = config.model ? resolveModelSettings(modelInput(config, config.model)) : undefined;
  const embedding = config.embeddingModel
    ? resolveEmbeddingSettings(modelInput(config, config.embeddingModel))
    : undefined;
  const models: ModelChoice = {
    model,
    embedding,
    providers: model || embedding ? await import('./brains/model-brain.ts') : undefined,
  };
  const home = resolve(options.cwd ?? process.cwd(), config.home);
  const database = await openDatabase(config, home, embedded, options.inMemory === true);
  try {
    return assemble(config, database, embedded, models, options);
  } catch (error) {
    await database.close();
    throw error;
  }
}

function assemble(
  config: Config,
  database: Database,
  embedded: boolean,
  models: ModelChoice,
  options: AppOptions,
): App {
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const home = resolve(options.cwd ?? process.cwd(), config.home);
  const { stores } = database;
  const redact = createRedactor(secretValues(config));
  const { providers } = models;
  const caller = models.model && providers ? providers.createModelCaller(models.model) : undefined;
  const embedder = models.embedding && providers ? providers.createEmbedder(models.embedding) : undefined;
  const embed = embedder
    ? async (text: string): Promise<number[]> => (await embedder.embed([text]))[0] ?? []
    : undefined;
  const registry = new ToolRegistry([
    ...createBuiltinTools({
      httpAllow: config.httpAllow,
      home,
      shell: { allowUnsandboxed: config.allowUnsandboxed },
      ...(config.serpApiKey ? { serpApiKey: config.serpApiKey } : {}),
      ...(config.serpApiBaseUrl ? { serpApiBaseUrl: config.serpApiBaseUrl } : {}),
      ...(caller ? { llm: caller } : {}),
      memory: createMemoryPort({ memories: stores.memories, clock, ...(embed ? { embed } : {}) }),
      audit: async (action, detail, context) => {
        await stores.audit.append({
          orgId: context.orgId,
          actor: `agent:${context.agentId}`,
          action,
          target: context.callId,
          detail,
          at: clock.now(),
        });
      },
    }),
    ...createSkillTools({ home }),
    ...(options.tools ?? []),
  ]);
  const hooks =
    options.hooks ??
    createLearningHooks({
      memories: stores.memories,
      stats: stores.stats,
      plans: stores.plans,
      clock,
      ...(embed ? { embed } : {}),
    });
  const planner = createPlannerBrain({
    now: () => clock.now(),
    stats: (context) => stores.stats.get(context.run.orgId, context.run.agentId, runSignature(context.run)),
  });
  const brainFor = (agent: Agent): Brain => chooseBrain(agent, models, planner);
  const toolsFor = async (agent: Agent, run: Run): Promise<ScopedTools> => {
    if (agent.mcpServers.length === 0) return { host: registry, close: async () => undefined };
    const { httpAllow, allowUnsandboxed } = config;
    const sandbox = { home, workspace: run.workspace, allowUnsandboxed };
    // The MCP SDK is loaded only for agents that use MCP servers.
    const { connectMcpServers } = await import('./tools/mcp/index.ts');
    const mcp = await connectMcpServers(agent.mcpServers, { httpAllow, ...sandbox });
    return { host: combineHosts(registry, mcp), close: () => mcp.close() };
  };
  const owner = leaseOwnerId();
  const runs = new RunService({
    orgId: defaultOrgId,
    runs: stores.runs,
    toolCalls: stores.toolCalls,
    agents: stores.agents,
    audit: stores.audit,
    tools: registry,
    toolsFor,
    brainFor,
    clock,
    ids,
    redact,
    owner,
    // Embedded: the data directory is locked by this process, so any other holder is dead.
    canSteal: embedded ? () => true : (holder) => holderIsDead(holder, owner),
    ownsStore: embedded,
    home,
    hooks,
  });
  return {
    config,
    database,
    tools: registry,
    runs,
    redact,
    orgId: defaultOrgId,
    clock,
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
  if (!embedded && config.databaseUrl) {
    const database = await createDatabase({ kind: 'postgres', url: config.databaseUrl });
    const { pending } = (await database.migrationUpToDate())
      ? { pending: [] }
      : await database.migrationState();
    if (pending.length > 0) {
      await database.close();
      throw userError(
        'not_migrated',
        `the PostgreSQL database has ${pending.length} pending migration(s) (${pending.join(', ')}): run 'autonoma migrate' first`,
      );
    }
    return database;
  }
  if (inMemory) return createDatabase({ kind: 'pglite' });
  return openEmbeddedDatabase(home);
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

function chooseBrain(agent: Agent, models: ModelChoice, planner: Brain): Brain {
  if (agent.brain === 'planner') return planner;
  if (models.model && models.providers) return models.providers.createModelBrain(models.model);
  if (agent.brain === 'model') {
    throw userError(
      'invalid_config',
      `agent '${agent.name}' uses the model brain but no model is configured: set AUTONOMA_MODEL`,
    );
  }
  return planner;
}
