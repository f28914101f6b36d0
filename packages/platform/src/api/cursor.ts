/**
 * Opaque paging cursors. A list answers `nextCursor`; the client sends it back as `?cursor=` for the
 * next page. The cursor names the list it belongs to, so one list's cursor is refused by another; it
 * carries only a position (an id), never an organization: the service reads it within the caller's
 * organization, so a cursor taken from another organization's list yields nothing.
 */
import { requestError } from './errors.ts';

/** Encodes a position in the list `list`. */
export function encodeCursor(list: string, position: string | number): string {
  return Buffer.from(JSON.stringify([list, position]), 'utf8').toString('base64url');
}

/** Decodes a cursor of the list `list`; a cursor that is not one is a 400 naming `query.cursor`. */
export function decodeCursor<T extends 'string' | 'number'>(
  list: string,
  cursor: string,
  kind: T,
): T extends 'string' ? string : number {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value) || value.length !== 2 || value[0] !== list || typeof value[1] !== kind)
    throw requestError('query.cursor', `not a cursor of this list`);
  return value[1] as T extends 'string' ? string : number;
}
