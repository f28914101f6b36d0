/**
 * Sign-in sessions and their rotating refresh tokens (stored as sha256 hashes). Rotation is one
 * conditional UPDATE: of two presentations of one token, exactly one finds it unspent; the other is a
 * reuse, and revokes the session.
 */
import type { RefreshOutcome, Session, SessionStore } from '@autonoma/core';
import { sql } from '../sql.ts';
import { queryRows, type Executor } from '../driver.ts';
import { toNumber, toNumberOrNull, toStringOrNull } from './values.ts';

const sessionFromRow = (row: Record<string, unknown>): Session => ({
  id: String(row.id),
  orgId: String(row.org_id),
  userId: String(row.user_id),
  createdAt: toNumber(row.created_at),
  expiresAt: toNumber(row.expires_at),
  revokedAt: toNumberOrNull(row.revoked_at),
  revokedReason: toStringOrNull(row.revoked_reason),
});

/** Creates the {@link SessionStore} over an {@link Executor}. */
export function createSessionStore(db: Executor): SessionStore {
  const get = async (id: string): Promise<Session | undefined> => {
    const row = (await queryRows(db, sql`SELECT * FROM auth_sessions WHERE id = ${id}`))[0];
    return row === undefined ? undefined : sessionFromRow(row);
  };
  const revoke = async (id: string, reason: string, now: number): Promise<boolean> => {
    const rows = await queryRows(
      db,
      sql`UPDATE auth_sessions SET revoked_at = ${now}::bigint, revoked_reason = ${reason}
          WHERE id = ${id} AND revoked_at IS NULL RETURNING id`,
    );
    return rows.length > 0;
  };
  return {
    start: (session) =>
      db.transaction(async (tx) => {
        const rows = await queryRows(
          tx,
          sql`INSERT INTO auth_sessions (id, org_id, user_id, created_at, expires_at)
              VALUES (${session.id}, ${session.orgId}, ${session.userId}, ${session.now}::bigint,
                ${session.expiresAt}::bigint)
              RETURNING *`,
        );
        await tx.execute(
          sql`INSERT INTO refresh_tokens (id, user_id, token_hash, family, expires_at, created_at)
              VALUES (${session.token.id}, ${session.userId}, ${session.token.hash}, ${session.id},
                ${session.expiresAt}::bigint, ${session.now}::bigint)`,
        );
        const row = rows[0];
        if (row === undefined) throw new Error('session insert returned no row');
        return sessionFromRow(row);
      }),

    get,

    rotate: (hash, next, now) =>
      db.transaction(async (tx): Promise<RefreshOutcome> => {
        const spent = await queryRows(
          tx,
          sql`UPDATE refresh_tokens t SET spent_at = ${now}::bigint
              FROM auth_sessions s
              WHERE t.token_hash = ${hash} AND t.spent_at IS NULL AND s.id = t.family
                AND s.revoked_at IS NULL AND s.expires_at > ${now}::bigint
              RETURNING s.*`,
        );
        const current = spent[0];
        if (current !== undefined) {
          const session = sessionFromRow(current);
          await tx.execute(
            sql`INSERT INTO refresh_tokens (id, user_id, token_hash, family, expires_at, created_at)
                VALUES (${next.id}, ${session.userId}, ${next.hash}, ${session.id},
                  ${session.expiresAt}::bigint, ${now}::bigint)`,
          );
          return { outcome: 'rotated', session };
        }
        const known = await queryRows(
          tx,
          sql`SELECT t.spent_at, s.* FROM refresh_tokens t JOIN auth_sessions s ON s.id = t.family
              WHERE t.token_hash = ${hash}`,
        );
        const row = known[0];
        if (row === undefined) return { outcome: 'invalid' };
        const session = sessionFromRow(row);
        if (session.revokedAt !== null || session.expiresAt <= now) return { outcome: 'invalid', session };
        // Spent and presented again: whoever holds the family now may be a thief; it ends for everyone.
        const revoked = await queryRows(
          tx,
          sql`UPDATE auth_sessions SET revoked_at = ${now}::bigint, revoked_reason = 'reuse'
              WHERE id = ${session.id} AND revoked_at IS NULL RETURNING *`,
        );
        const revokedRow = revoked[0];
        return {
          outcome: 'reused',
          session: revokedRow === undefined ? session : sessionFromRow(revokedRow),
        };
      }),

    revoke,

    async revokeForUser(orgId, userId, reason, now) {
      const rows = await queryRows(
        db,
        sql`UPDATE auth_sessions SET revoked_at = ${now}::bigint, revoked_reason = ${reason}
            WHERE org_id = ${orgId} AND user_id = ${userId} AND revoked_at IS NULL RETURNING id`,
      );
      return rows.length;
    },
  };
}
