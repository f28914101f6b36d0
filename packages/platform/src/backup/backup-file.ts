/**
 * The embedded backup file: a first line naming the format, a line of JSON describing the backup, then
 * the image of the PGlite data directory (a gzipped tarball, as PGlite's `dumpDataDir` writes it).
 * The description carries the image's length and SHA-256, so a truncated, altered or foreign file is
 * refused before anything is touched.
 *
 * ```
 * AUTONOMA-EMBEDDED-BACKUP 1
 * {"createdAt":"…","autonomaVersion":"0.1.0","migrations":[…],"counts":{…},"bytes":…,"sha256":"…"}
 * <image bytes>
 * ```
 */
import { createHash } from 'node:crypto';
import { userError } from '@autonoma/core';

/** First line of every backup file. */
export const backupMagic = 'AUTONOMA-EMBEDDED-BACKUP 1';

/** What a backup says about itself. */
export interface BackupHeader {
  /** When it was taken (ISO 8601, UTC). */
  createdAt: string;
  /** The Autonoma version that took it. */
  autonomaVersion: string;
  /** The migrations its store had applied (its schema version). */
  migrations: string[];
  /** Rows of the main tables when it was taken (the image itself is the truth). */
  counts: Record<string, number>;
  /** Length of the image in bytes. */
  bytes: number;
  /** SHA-256 of the image, hex. */
  sha256: string;
}

/** A parsed backup file. */
export interface Backup {
  header: BackupHeader;
  /** The gzipped tarball of the data directory. */
  image: Uint8Array;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Builds the bytes of a backup file from an image and what describes it. */
export function encodeBackup(
  image: Uint8Array,
  about: Omit<BackupHeader, 'bytes' | 'sha256'>,
): { bytes: Uint8Array; header: BackupHeader } {
  const header: BackupHeader = { ...about, bytes: image.byteLength, sha256: sha256(image) };
  const head = Buffer.from(`${backupMagic}\n${JSON.stringify(header)}\n`, 'utf8');
  return { bytes: Buffer.concat([head, image]), header };
}

const notABackup = (file: string, why: string) =>
  userError('not_a_backup', `${file} is not an Autonoma embedded backup: ${why}`, { file });

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/** Parses and checks a backup file's bytes; throws `not_a_backup` naming `file` and what is wrong. */
export function decodeBackup(bytes: Uint8Array, file: string): Backup {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const first = buffer.indexOf(0x0a);
  if (first < 0 || buffer.subarray(0, first).toString('utf8') !== backupMagic)
    throw notABackup(file, `it does not start with '${backupMagic}'`);
  const second = buffer.indexOf(0x0a, first + 1);
  if (second < 0) throw notABackup(file, 'its description line is missing');
  let parsed: unknown;
  try {
    parsed = JSON.parse(buffer.subarray(first + 1, second).toString('utf8'));
  } catch {
    throw notABackup(file, 'its description is not JSON');
  }
  const header = parsed as Partial<BackupHeader>;
  if (
    typeof header.createdAt !== 'string' ||
    typeof header.autonomaVersion !== 'string' ||
    !isStringList(header.migrations) ||
    typeof header.bytes !== 'number' ||
    typeof header.sha256 !== 'string' ||
    typeof header.counts !== 'object' ||
    header.counts === null
  )
    throw notABackup(file, 'its description lacks fields');
  const image = buffer.subarray(second + 1);
  if (image.byteLength !== header.bytes)
    throw notABackup(
      file,
      `it is truncated or padded (${image.byteLength} bytes of image, ${header.bytes} expected)`,
    );
  if (sha256(image) !== header.sha256) throw notABackup(file, 'its image does not match its checksum');
  return { header: header as BackupHeader, image: new Uint8Array(image) };
}
