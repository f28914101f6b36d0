/**
 * Where `autonoma login` keeps its sessions: one JSON file (mode 0600, in a 0700 directory), one entry
 * per server origin — the access token, the refresh token and when the access token expires. Tokens
 * never travel on argv (every user of the machine can read a process's arguments); commands with
 * `--server` read them from here, refreshing the pair when the access token is about to expire.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';

/** One server's session. */
const StoredSession = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1),
  /** When the access token expires, ms since the epoch. */
  expiresAt: z.number(),
  /** Who signed in (for `autonoma logout`'s message). */
  email: z.string().optional(),
});
/** A stored session. */
export type StoredSession = z.infer<typeof StoredSession>;

const TokenFileContent = z.object({ servers: z.record(z.string(), StoredSession) });

/** The default token file: `~/.config/autonoma/credentials.json`. */
export const defaultTokenFile = (): string => join(homedir(), '.config', 'autonoma', 'credentials.json');

/** The key of a server in the file: its origin (`https://autonoma.example.org:8443`). */
export const serverKey = (server: string): string => new URL(server).origin;

/** Reads and writes one token file. */
export interface TokenFile {
  readonly path: string;
  /** The session stored for `server`, if any (an unreadable file holds none). */
  get(server: string): StoredSession | undefined;
  /** Stores `session` for `server` (the file is written whole, then renamed: never half written). */
  set(server: string, session: StoredSession): void;
  /** Forgets `server`'s session; true when there was one. */
  delete(server: string): boolean;
}

/** The token file at `path`. */
export function tokenFile(path: string = defaultTokenFile()): TokenFile {
  const read = (): Record<string, StoredSession> => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return {};
    }
    try {
      const parsed = TokenFileContent.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data.servers : {};
    } catch {
      return {};
    }
  };
  const write = (servers: Record<string, StoredSession>): void => {
    if (Object.keys(servers).length === 0) {
      rmSync(path, { force: true });
      return;
    }
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const temporary = `${path}.${process.pid}.tmp`;
    // Created 0600 (no window in which another user could open it), and chmod'ed in case a umask or an
    // older file said otherwise.
    writeFileSync(temporary, `${JSON.stringify({ servers }, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
  };
  return {
    path,
    get: (server) => read()[serverKey(server)],
    set(server, session) {
      write({ ...read(), [serverKey(server)]: session });
    },
    delete(server) {
      const servers = read();
      const key = serverKey(server);
      if (!(key in servers)) return false;
      delete servers[key];
      write(servers);
      return true;
    },
  };
}
