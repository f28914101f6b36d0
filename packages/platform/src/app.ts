import { resolve } from 'node:path';
import type {
  AnyTool,
  BrainContext,
  Clock,
  EventBus,
  IdGenerator,
  Run,
  RunHooks,
  Scope,
  StoredEventReader,
  ToolHost,
} from '@autonoma/core';
import { createPlannerBrain, defaultOrgId, randomIds, systemClock, userError } from '@autonoma/core';
import type { ModelChoice } from './app-brains.ts';
import { brainChooser, chooseModels } from './app-brains.ts';
import type { JobSystem } from './app-jobs.ts';
import type * as BullmqAdapter from './jobs/bullmq-queue.ts';
import { createJobSystem } from './app-jobs.ts';
import type { JobLogger } from './jobs/job-logger.ts';
import type { Observability } from './observability/observability.ts';
import { createObservability } from './observability/observability.ts';
import { createReplaySandboxes } from './app-replay.ts';
import { createRunService, withConversationContext } from './app-runs.ts';
import { createToolRegistry, toolsForRuns } from './app-tools.ts';
import { secretValues } from './config/mask.ts';
import type { Config } from './config/schema.ts';
import { createLocalEventBus } from './events/local-event-bus.ts';
import { createLearningHooks } from './learning/learning-hooks.ts';
import { runSignature } from './learning/signature.ts';
import { leaseOwnerId } from './runtime/lease-owner.ts';
import { resolveWorkspace } from './runtime/workspaces.ts';
import type { Redactor } from './security/redact.ts';
import { createRedactor } from './security/redact.ts';
import type { Services } from './services/index.ts';
import {
  AgentService,
  ApiKeyService,
  AuthService,
  ConversationService,
  AuditService,
  ExplainService,
  JobService,
  MemoryService,
  OrganizationService,
  ReplayService,
  RunQuotaService,
  RunStatsService,
  ScheduleService,
  UserService,
  WorkerService,
} from './services/index.ts';
import { createAccessTokens } from './security/jwt.ts';
import { resolveJwtSecret } from './security/jwt-secret.ts';
import { auditToolCalls } from './security/audited-tools.ts';
import type { PasswordHasher } from './security/passwords.ts';
import { createPasswordHasher } from './security/passwords.ts';
import type { Database } from './store/database.ts';
import { createDatabase } from './store/database.ts';
import { openEmbeddedDatabase } from './store/open-embedded.ts';
import { createMcpPool } from './tools/mcp/mcp-pool.ts';

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
  /** Lease length of the runs this process advances. @default config `leaseTtlMs`, else 30000 */
  leaseTtlMs?: number;
  /** Where the queue, relay and sweeper report (a worker's log). @default nowhere */
  jobLogger?: JobLogger;
  /**
   * Logs, metrics and traces of this process (`createObservability`), owned by the caller.
   * @default traces only, when OTEL_EXPORTER_OTLP_ENDPOINT is set (closed with the app)
   */
  observability?: Observability;
  /** Hashes passwords (tests use a cheaper argon2id cost). @default argon2id at OWASP's minimum cost */
  passwords?: PasswordHasher;
}

/** The composition root's product: every adapter wired, one object handed to the CLI, API and workers. */
export interface App {
  config: Config;
  /** `embedded` on PGlite, `cluster` on PostgreSQL. */
  mode: 'embedded' | 'cluster';
  /** The org-scoped services every interface calls. */
  services: Services;
  /** The local user's scope: the embedded organization, acting as `cli`. */
  localScope: Scope;
  /** Every tool runs can use (built-ins, skills, extras). */
  tools: ToolHost;
  redact: Redactor;
  /** Events and signals between processes (in-process when embedded). */
  bus: EventBus;
  clock: Clock;
  /** The opened store, for operations (migrate, backup) and tests; interfaces go through `services`. */
  database: Database;
  /** The job queue (BullMQ in a cluster, the local queue otherwise), the worker registry, the sweeper. */
  jobs: JobSystem;
  /** The lease owner id this process advances runs under (a worker registers it). */
  leaseOwner: string;
  /** Logs, metrics and traces of this process (see observability/). */
  observability: Observability;
  close(): Promise<void>;
}

/**
 * Builds the application from a configuration: the store (PGlite under `home`, or PostgreSQL), the
 * event bus, the tools, the brains, learning and the services. The only place that picks adapters.
 */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const embedded = config.databaseUrl === undefined;
  // Settings that can be wrong are checked before the store is opened, so a bad value leaves nothing open.
  const models = await chooseModels(config);
  const home = resolve(options.cwd ?? process.cwd(), config.home);
  // A cluster with Redis fans events out across processes; otherwise they stay in this process.
  const redis = !embedded && config.redisUrl ? await import('./events/redis-event-bus.ts') : undefined;
  // …and carries jobs through BullMQ (whose own module loads only when a queue is first used).
  const bullmq = !embedded && config.redisUrl ? await import('./jobs/bullmq-queue.ts') : undefined;
  const database = await openDatabase(config, home, embedded, options.inMemory === true);
  try {
    // Read (or made, on an embedded home's first start) before anything can sign a token; never logged.
    const jwtSecret = await resolveJwtSecret({ configured: config.jwtSecret, embedded, home });
    const createBus = (readEvents: StoredEventReader): EventBus =>
      redis && config.redisUrl
        ? redis.createRedisEventBus({ url: config.redisUrl, readEvents })
        : createLocalEventBus({ readEvents });
    const observability = options.observability ?? (await createObservability(config));
    const app = assemble({
      config,
      database,
      embedded,
      models,
      options,
      home,
      createBus,
      bullmq,
      observability,
      jwtSecret,
    });
    // First start (or upgrade) of an embedded store: its default agent is created explicitly here.
    if (database.migratedOnOpen.length > 0) await app.services.agents.ensureDefault(app.localScope);
    return app;
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** What {@link assemble} wires together. */
interface Parts {
  config: Config;
  database: Database;
  embedded: boolean;
  models: ModelChoice;
  options: AppOptions;
  home: string;
  createBus: (readEvents: StoredEventReader) => EventBus;
  bullmq: typeof BullmqAdapter | undefined;
  observability: Observability;
  /** Signs access tokens; absent in a cluster without AUTONOMA_JWT_SECRET (sign-in is then off). */
  jwtSecret: string | undefined;
}

function assemble(parts: Parts): App {
  const { config, database, embedded, models, options, home, createBus, bullmq, observability, jwtSecret } =
    parts;
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const { stores } = database;
  const redact = createRedactor(secretValues(config));
  const { providers } = models;
  const llm = models.model && providers ? providers.createModelCaller(models.model) : undefined;
  const embedder = models.embedding && providers ? providers.createEmbedder(models.embedding) : undefined;
  const embed = embedder
    ? async (text: string): Promise<number[]> => (await embedder.embed([text]))[0] ?? []
    : undefined;
  const tools = createToolRegistry({ config, home, stores, clock, llm, embed, extra: options.tools ?? [] });
  const workspaceOf = (run: Run): string => resolveWorkspace(home, run.workspace);
  const learning =
    options.hooks ??
    createLearningHooks({
      memories: stores.memories,
      stats: stores.stats,
      plans: stores.plans,
      clock,
      ...(embed ? { embed } : {}),
    });
  // `conversations` is made below: the run service and the conversation service need each other.
  const hooks = withConversationContext(learning, (run, agent) => conversations.contextFor(run, agent));
  // Both brains read the outcome statistics of the run's agent for goals like the run's.
  const toolStats = (context: BrainContext) =>
    stores.stats.get(context.run.orgId, context.run.agentId, runSignature(context.run));
  const planner = createPlannerBrain({ now: () => clock.now(), stats: toolStats });
  const bus = createBus(({ orgId, runId, afterSeq, limit }) =>
    stores.runs.events(orgId, runId, afterSeq, limit),
  );
  const jobs = createJobSystem(
    { config, database, clock, ids, ...(options.jobLogger ? { logger: options.jobLogger } : {}) },
    bullmq,
  );
  // MCP servers are kept across slices (per agent version and workspace) rather than spawned per slice.
  const mcpPool = createMcpPool();
  const leaseOwner = leaseOwnerId();
  const runs = createRunService({
    stores,
    embedded,
    owner: leaseOwner,
    tools,
    // Every tool call a run makes is in the audit log (issue 11), whichever process advances it.
    toolsFor: auditToolCalls(toolsForRuns(tools, { config, home, workspaceOf, pool: mcpPool }), {
      audit: stores.audit,
      clock,
    }),
    brainFor: brainChooser(models, { planner, stats: toolStats }),
    clock,
    ids,
    redact,
    bus,
    home,
    workspaceOf,
    hooks,
    delegation: { maxDepth: config.maxDelegationDepth, maxChildren: config.maxChildrenPerStep },
    onEnded: async (run) => {
      await conversations?.runEnded(run);
    },
    outboxWritten: () => jobs.wakeup.notify(),
    ...(observability.runs ? { observe: observability.runs } : {}),
    ...((options.leaseTtlMs ?? config.leaseTtlMs) === undefined
      ? {}
      : { leaseTtlMs: options.leaseTtlMs ?? config.leaseTtlMs }),
  });
  const agents = new AgentService({ agents: stores.agents, audit: stores.audit, tools, clock, ids });
  const passwords = options.passwords ?? createPasswordHasher();
  const conversations = new ConversationService({ conversations: stores.conversations, runs, clock, ids });
  const services: Services = {
    runs,
    agents,
    memories: new MemoryService({
      memories: stores.memories,
      stats: stores.stats,
      plans: stores.plans,
      clock,
      // Stored embeddings come from the provider when one is configured: then search by full text.
      ...(config.embeddingModel ? { embedQuery: null } : {}),
    }),
    audit: new AuditService(stores.audit, clock),
    explain: new ExplainService({ runs }),
    conversations,
    // A replay re-runs through a run service wired like `runs`, over its own throwaway store.
    replay: new ReplayService({
      runs,
      agents,
      tools,
      redact,
      createSandbox: createReplaySandboxes({ clock, ids, redact }),
    }),
    schedules: new ScheduleService({ schedules: stores.schedules, runs, audit: stores.audit, clock, ids }),
    jobs: new JobService({
      db: database.executor,
      queue: jobs.queue,
      audit: stores.audit,
      clock,
      jobsWritten: () => jobs.wakeup.notify(),
    }),
    workers: new WorkerService({ registry: jobs.registry, clock }),
    users: new UserService({
      users: stores.users,
      sessions: stores.sessions,
      audit: stores.audit,
      passwords,
      clock,
      ids,
    }),
    auth: new AuthService({
      users: stores.users,
      apiKeys: stores.apiKeys,
      sessions: stores.sessions,
      throttle: stores.loginThrottle,
      audit: stores.audit,
      passwords,
      accessTokens: jwtSecret === undefined ? undefined : createAccessTokens(jwtSecret),
      clock,
      ids,
    }),
    apiKeys: new ApiKeyService({ apiKeys: stores.apiKeys, audit: stores.audit, clock, ids }),
    runQuota: new RunQuotaService({ quota: stores.runQuota, limit: config.orgRunQuota }),
    runStats: new RunStatsService({ db: database.executor, clock }),
    organization: new OrganizationService({
      db: database.executor,
      audit: stores.audit,
      clock,
      defaultMaxRunsInFlight: config.orgMaxRunsInFlight,
    }),
  };
  // Runs by status, queue depth and age, workers and approvals, read from the store on every scrape.
  const stopWatching = observability.watchStore({ db: database.executor, clock });
  return {
    config,
    mode: embedded ? 'embedded' : 'cluster',
    services,
    localScope: { orgId: defaultOrgId, actor: 'cli' },
    tools,
    redact,
    bus,
    clock,
    database,
    jobs,
    leaseOwner,
    observability,
    close: async () => {
      stopWatching();
      await jobs.close();
      await mcpPool.close();
      await bus.close();
      await database.close();
      if (!options.observability) await observability.close();
    },
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
