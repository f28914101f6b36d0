/**
 * The CLI's session with a server (`autonoma login`): the access token to send, renewed through
 * `POST /v1/auth/refresh` when it is about to expire. Two commands renewing at once would present one
 * refresh token twice — which the server treats as theft and answers by revoking the whole session —
 * so renewal happens under a lock file, and a command that waited for it reads its successor's pair.
 */
import { closeSync, openSync, rmSync, statSync } from 'node:fs';
import { AutonomaError, userError } from '@autonoma/core';
import { TokenPairView } from '../../api/views/accounts.ts';
import type { Config } from '../../config/index.ts';
import type { HttpTransport } from './http-transport.ts';
import { createTransport } from './http-transport.ts';
import type { StoredSession, TokenFile } from './token-file.ts';
import { defaultTokenFile, serverKey, tokenFile } from './token-file.ts';

/** An access token with less than this left is renewed first. */
const renewBeforeMs = 30_000;
/** A lock file older than this was left by a killed process. */
const staleLockMs = 15_000;
/** How long a command waits for another one's renewal. */
const lockWaitMs = 10_000;

/** The token file of a configuration (`AUTONOMA_CREDENTIALS_FILE`, or the default). */
export const tokenFileOf = (config: Config): TokenFile =>
  tokenFile(config.credentialsFile ?? defaultTokenFile());

/** The session stored from a token pair answered at `now`. */
export const storedSession = (
  pair: { accessToken: string; refreshToken: string; expiresIn: number },
  now: number,
  email?: string,
): StoredSession => ({
  accessToken: pair.accessToken,
  refreshToken: pair.refreshToken,
  expiresAt: now + pair.expiresIn * 1000,
  ...(email === undefined ? {} : { email }),
});

/** Runs `action` holding `<file>.lock` (created exclusively; a stale one is taken over). */
async function withLock<T>(file: string, action: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw userError('invalid_input', `cannot write the token file ${file}: its directory is missing`);
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let age: number;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        // Released between the two calls: try again at once.
        continue;
      }
      if (age > staleLockMs || Date.now() > deadline) rmSync(lock, { force: true });
      else await new Promise((done) => setTimeout(done, 50));
    }
  }
  try {
    return await action();
  } finally {
    rmSync(lock, { force: true });
  }
}

const signInAgain = (server: string): AutonomaError =>
  new AutonomaError(
    'unauthorized',
    `the session with ${serverKey(server)} has ended; sign in again with 'autonoma login --server ${serverKey(server)}'`,
    { category: 'user' },
  );

/**
 * The access token of the session stored for `server`, renewed when it expires within 30 s; undefined
 * when nobody signed in to it. A session the server no longer accepts is forgotten (`unauthorized`).
 */
export async function sessionAccessToken(config: Config, server: string): Promise<string | undefined> {
  const file = tokenFileOf(config);
  const current = file.get(server);
  if (!current) return undefined;
  if (current.expiresAt - Date.now() > renewBeforeMs) return current.accessToken;
  return withLock(file.path, async () => {
    // Another command may have renewed it while this one waited for the lock.
    const session = file.get(server);
    if (!session) return undefined;
    if (session.expiresAt - Date.now() > renewBeforeMs) return session.accessToken;
    const transport = createTransport({ kind: 'url', url: new URL(server) });
    try {
      const { body } = await transport.json<unknown>({
        method: 'POST',
        path: '/v1/auth/refresh',
        body: { refreshToken: session.refreshToken },
      });
      const pair = TokenPairView.parse(body);
      file.set(server, storedSession(pair, Date.now(), session.email));
      return pair.accessToken;
    } catch (error) {
      if (error instanceof AutonomaError && error.status === 401) {
        file.delete(server);
        throw signInAgain(server);
      }
      throw error;
    }
  });
}

/**
 * `transport`, sending a stored session's token: a 401 (the session was ended: logout elsewhere, a
 * disabled user, a revoked family) says how to sign in again rather than only that it was refused.
 */
export function withSessionHint(transport: HttpTransport, server: string): HttpTransport {
  return {
    label: transport.label,
    open: (input) => transport.open(input),
    async json<T>(input: Parameters<HttpTransport['json']>[0]) {
      try {
        return await transport.json<T>(input);
      } catch (error) {
        if (error instanceof AutonomaError && error.status === 401) throw signInAgain(server);
        throw error;
      }
    },
  };
}
