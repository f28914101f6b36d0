/**
 * The key access tokens are signed with: `AUTONOMA_JWT_SECRET` when set (a cluster's replicas must
 * share one); otherwise, on an embedded home, one generated at the first start and kept in
 * `$AUTONOMA_HOME/secrets/jwt-secret` (mode 0600, its directory 0700) — never in the database, never
 * logged. A cluster without the variable has no key: sign-in is off there, API keys still work.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where an embedded home keeps its generated key. */
export const jwtSecretFile = (home: string): string => join(home, 'secrets', 'jwt-secret');

/** Reads the home's key, creating it (exclusively, so two first starts agree) when absent. */
export async function embeddedJwtSecret(home: string): Promise<string> {
  const file = jwtSecretFile(home);
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(join(home, 'secrets'), { recursive: true, mode: 0o700 });
  await chmod(join(home, 'secrets'), 0o700);
  try {
    await writeFile(file, `${randomBytes(48).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process created it first: its key is the key.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return (await readFile(file, 'utf8')).trim();
}

/** The signing key of an app: configured, generated for an embedded home, or none. */
export async function resolveJwtSecret(options: {
  configured: string | undefined;
  embedded: boolean;
  home: string;
}): Promise<string | undefined> {
  if (options.configured !== undefined) return options.configured;
  return options.embedded ? embeddedJwtSecret(options.home) : undefined;
}
