/** Opens the embedded store of an Autonoma home, refusing an unusable home with one line naming it. */
import { join } from 'node:path';
import { userError } from '@autonoma/core';
import { createDatabase, type Database } from './database.ts';
import { dataDirectoryProblem } from './pglite/data-directory.ts';

/** The embedded data directory of a home: `<home>/data`. */
export const dataDirectoryOf = (home: string): string => join(home, 'data');

/**
 * Opens (and, when behind, migrates) the PGlite store in `<home>/data`. An unusable home (under `/proc`,
 * a file, read-only…) fails at once with `AUTONOMA_HOME=<home> is not usable: <why>`.
 */
export async function openEmbeddedDatabase(home: string): Promise<Database> {
  const dir = dataDirectoryOf(home);
  const problem = await dataDirectoryProblem(dir);
  if (problem) {
    const shown = home.replaceAll('\0', '\\0');
    throw userError('invalid_config', `AUTONOMA_HOME=${shown} is not usable: ${problem}`);
  }
  return createDatabase({ kind: 'pglite', dir });
}
