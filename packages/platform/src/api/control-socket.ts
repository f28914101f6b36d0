/**
 * Where the process holding an embedded store can be reached: its control socket, and the record
 * (`$AUTONOMA_HOME/control.json`) naming it. Light on purpose: the CLI reads it on every command that
 * finds the store locked.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The record of a home's control endpoint. */
export interface ControlRecord {
  /** The process serving it (it holds the store's lock). */
  pid: number;
  /** What that process is: `serve` advances runs created through it; `run` and `resume` do not. */
  kind: 'run' | 'resume' | 'serve';
  /** The Unix socket. */
  socket: string;
  /** `serve` only: its TCP address and the bearer token the local control credential is there. */
  url?: string;
  token?: string;
}

/** File name of the record, in the home. */
export const controlRecordName = 'control.json';

/**
 * The longest socket path every platform takes: `sun_path` holds 108 bytes on Linux and 104 on macOS,
 * the terminating NUL included.
 */
export const maxSocketPathBytes = 103;

/**
 * The socket of a home: `<home>/control/api.sock`, or, when that path is too long for a Unix socket, a
 * directory under the OS temporary directory named by a hash of the home.
 */
export function controlSocketPath(home: string): string {
  const inHome = join(home, 'control', 'api.sock');
  if (Buffer.byteLength(inHome) <= maxSocketPathBytes) return inHome;
  const hash = createHash('sha256').update(home).digest('hex').slice(0, 20);
  return join(tmpdir(), `autonoma-${hash}`, 'api.sock');
}

/** The record of `home`'s control endpoint, if one was written and is readable. */
export async function readControlRecord(home: string): Promise<ControlRecord | undefined> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(join(home, controlRecordName), 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Partial<ControlRecord>;
  const kinds: readonly unknown[] = ['run', 'resume', 'serve'];
  if (typeof record.pid !== 'number' || typeof record.socket !== 'string' || !kinds.includes(record.kind))
    return undefined;
  return record as ControlRecord;
}

/** Writes the record, owner-only (it may hold a token), atomically. */
export async function writeControlRecord(home: string, record: ControlRecord): Promise<void> {
  const path = join(home, controlRecordName);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}

/** Removes the record if it is still `pid`'s. */
export async function removeControlRecord(home: string, pid: number): Promise<void> {
  const record = await readControlRecord(home);
  if (record?.pid === pid) await rm(join(home, controlRecordName), { force: true });
}
