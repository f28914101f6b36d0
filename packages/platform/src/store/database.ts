/**
 * `createDatabase`: opens the embedded (PGlite) or cluster (PostgreSQL) store and wires the shared
 * repositories onto it. Only the opening code differs between the two (`pglite/`, `postgres/`).
 */
import type {
  AgentStore,
  ApiKeyStore,
  AuditLog,
  LoginThrottleStore,
  RunQuotaStore,
  SessionStore,
  UserStore,
  MemoryStore,
  OrganizationStore,
  PlanStore,
  RunStore,
  ScheduleStore,
  ConversationStore,
  SettingsStore,
  StatsStore,
  ToolCallJournal,
} from '@autonoma/core';
import { sql } from './sql.ts';
import { queryRows, type DriverCounters, type OpenedDriver, type Executor } from './driver.ts';
import { createMigrator, type Migration, type MigrationState } from './migrator.ts';
import { createAgentStore } from './repositories/agent-store.ts';
import { createApiKeyStore } from './repositories/api-key-store.ts';
import { createAuditLog } from './repositories/audit-log.ts';
import { createMemoryStore } from './repositories/memory-store.ts';
import { createOrganizationStore } from './repositories/organization-store.ts';
import { createPlanStore } from './repositories/plan-store.ts';
import { createRunStore } from './repositories/run-store.ts';
import { createScheduleStore } from './repositories/schedule-store.ts';
import { createConversationStore } from './repositories/conversation-store.ts';
import { createSettingsStore } from './repositories/settings-store.ts';
import { createStatsStore } from './repositories/stats-store.ts';
import { createToolCallJournal } from './repositories/tool-call-journal.ts';
import { createLoginThrottleStore } from './repositories/login-throttle-store.ts';
import { createRunQuotaStore } from './repositories/run-quota-store.ts';
import { createRunIntake, type RunIntake } from './repositories/run-intake.ts';
import { createSessionStore } from './repositories/session-store.ts';
import { createUserStore } from './repositories/user-store.ts';

/** Options shared by both kinds. */
interface CommonOptions {
  /** Where notices go (e.g. "pgvector unavailable, migration skipped"). @default no output */
  log?: (message: string) => void;
  /** Migrations to apply instead of the committed ones (tests). */
  migrations?: Migration[];
}

/** How to open the store. */
export type DatabaseOptions =
  | (CommonOptions & {
      kind: 'pglite';
      /** Data directory (locked while open); in memory when absent. Migrates on open. */
      dir?: string;
    })
  | (CommonOptions & {
      kind: 'postgres';
      /** A `postgres://` URL (DATABASE_URL). Does not migrate on open: call `migrate()`. */
      url: string;
      /** @default 10 */
      poolSize?: number;
    });

/** Every port the store implements. */
export interface Stores {
  runs: RunStore;
  toolCalls: ToolCallJournal;
  agents: AgentStore;
  memories: MemoryStore;
  stats: StatsStore;
  plans: PlanStore;
  audit: AuditLog;
  settings: SettingsStore;
  organizations: OrganizationStore;
  schedules: ScheduleStore;
  conversations: ConversationStore;
  users: UserStore;
  apiKeys: ApiKeyStore;
  sessions: SessionStore;
  loginThrottle: LoginThrottleStore;
  runQuota: RunQuotaStore;
  /** Runs started through the API: quota, run, job and audit entry in one group-committed transaction. */
  runIntake: RunIntake;
}

/** An opened store. */
export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly stores: Stores;
  /** Migrations applied when the store was opened (an embedded store's first start or upgrade). */
  readonly migratedOnOpen: readonly string[];
  /** Runs SQL directly, for adapters that need tables without a port yet (users, jobs…). */
  readonly executor: Executor;
  /** Applies pending migrations; returns the names applied now. */
  migrate(): Promise<{ applied: string[]; skipped: string[] }>;
  /** Applied and pending migrations (for `autonoma doctor`). */
  migrationState(): Promise<MigrationState>;
  /** True when nothing is left to migrate (one query when nothing changed). */
  migrationUpToDate(): Promise<boolean>;
  /** Throws a `dependency_unavailable` error when the database does not answer. */
  ping(): Promise<void>;
  /** PGlite only: an image of the data directory (see `OpenedDriver.dump`); absent on PostgreSQL. */
  dump?(): Promise<Uint8Array>;
  close(): Promise<void>;
  /** Work sent to the driver since open: statements, commits and parameter bytes. */
  stats(): DriverCounters;
}

const hasVectorColumn = async (db: Executor): Promise<boolean> => {
  const rows = await queryRows(
    db,
    sql`SELECT 1 FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'memories' AND column_name = 'embedding_vector'`,
  );
  return rows.length > 0;
};

/** Opens a store. PGlite migrates on open; PostgreSQL waits for `migrate()`. */
export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  // Each driver is loaded only when used: a process never pays for the other's module graph.
  const driver: OpenedDriver =
    options.kind === 'pglite'
      ? await (
          await import('./pglite/open-pglite.ts')
        ).openPglite({ ...(options.dir === undefined ? {} : { dir: options.dir }) })
      : await (
          await import('./postgres/open-postgres.ts')
        ).openPostgres({ url: options.url, poolSize: options.poolSize, log: options.log });
  const db = driver.executor;
  const migrator = createMigrator(db, { migrations: options.migrations, log: options.log });
  let vector = false;
  const refreshVector = async (): Promise<void> => {
    vector = await hasVectorColumn(db);
  };
  const migrate = async (): Promise<{ applied: string[]; skipped: string[] }> => {
    const result = await migrator.migrate();
    await refreshVector();
    return result;
  };
  let migratedOnOpen: string[] = [];
  try {
    // An embedded store migrates on open, but only when its schema is behind: one query otherwise.
    if (options.kind === 'pglite' && !(await migrator.upToDate())) migratedOnOpen = (await migrate()).applied;
    else await refreshVector();
  } catch (error) {
    await driver.close();
    throw error;
  }
  const vectorSearch = (): boolean => vector;
  return {
    kind: options.kind,
    migratedOnOpen,
    executor: db,
    stores: {
      runs: createRunStore(db),
      toolCalls: createToolCallJournal(db),
      agents: createAgentStore(db),
      memories: createMemoryStore(db, vectorSearch),
      stats: createStatsStore(db),
      plans: createPlanStore(db, vectorSearch),
      audit: createAuditLog(db),
      settings: createSettingsStore(db),
      organizations: createOrganizationStore(db),
      schedules: createScheduleStore(db),
      conversations: createConversationStore(db),
      users: createUserStore(db),
      apiKeys: createApiKeyStore(db),
      sessions: createSessionStore(db),
      loginThrottle: createLoginThrottleStore(db),
      runQuota: createRunQuotaStore(db),
      runIntake: createRunIntake(db),
    },
    migrate,
    migrationState: () => migrator.state(),
    migrationUpToDate: () => migrator.upToDate(),
    ping: () => driver.ping(),
    ...(driver.dump ? { dump: driver.dump } : {}),
    close: () => driver.close(),
    stats: () => ({ ...driver.counters }),
  };
}
