/**
 * The store: migrations and the PostgreSQL/PGlite implementations of the core ports. The Drizzle schema
 * (`schema.ts`) is not exported: it only feeds drizzle-kit, and nothing at runtime may load drizzle-orm.
 */
export { createDatabase, type Database, type DatabaseOptions, type Stores } from './database.ts';
export { createMigrator, loadMigrations, migrationsDirectory, parseMigration } from './migrator.ts';
export type { Migration, MigrationState, Migrator, MigratorOptions } from './migrator.ts';
export { queryRows, type DriverCounters, type Executor, type QueryResult } from './driver.ts';
export { sql, toQuery, SQL, type Query, type SqlTag, type SqlValue } from './sql.ts';
export { acquireDirectoryLock, lockFileName, type DirectoryLock } from './pglite/lock-file.ts';
export { parsePostgresUrl } from './postgres/open-postgres.ts';
