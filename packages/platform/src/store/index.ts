/** The store: schema, migrations and the PostgreSQL/PGlite implementations of the core ports. */
export { createDatabase, type Database, type DatabaseOptions, type Stores } from './database.ts';
export { createMigrator, loadMigrations, migrationsDirectory, parseMigration } from './migrator.ts';
export type { Migration, MigrationState, Migrator, MigratorOptions } from './migrator.ts';
export type { DriverCounters, StoreDatabase } from './driver.ts';
export { acquireDirectoryLock, lockFileName, type DirectoryLock } from './pglite/lock-file.ts';
export { parsePostgresUrl } from './postgres/open-postgres.ts';
export * as schema from './schema.ts';
