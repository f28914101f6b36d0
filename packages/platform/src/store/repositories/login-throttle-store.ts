/** Failed sign-ins per key, counted in one upsert so concurrent failures on any replica all count. */
import type { LoginThrottleStore, ThrottleRecord } from '@autonoma/core';
import { sql } from '../sql.ts';
import { queryRows, type Executor } from '../driver.ts';
import { jsonText, toNumber, toNumberOrNull } from './values.ts';

const recordFromRow = (row: Record<string, unknown>): ThrottleRecord => ({
  failures: toNumber(row.failures),
  windowStartedAt: toNumber(row.window_started_at),
  lockedUntil: toNumberOrNull(row.locked_until),
});

/** Creates the {@link LoginThrottleStore} over an {@link Executor}. */
export function createLoginThrottleStore(db: Executor): LoginThrottleStore {
  return {
    async get(keys) {
      const found = new Map<string, ThrottleRecord>();
      if (keys.length === 0) return found;
      const rows = await queryRows(
        db,
        sql`SELECT * FROM login_throttle
            WHERE key IN (SELECT jsonb_array_elements_text(${jsonText(keys)}::jsonb))`,
      );
      for (const row of rows) found.set(String(row.key), recordFromRow(row));
      return found;
    },

    async fail(key, policy, now) {
      const windowEnd = now - policy.windowMs;
      const lockedUntil = now + policy.lockMs;
      const rows = await queryRows(
        db,
        sql`INSERT INTO login_throttle AS t (key, failures, window_started_at, locked_until)
            VALUES (${key}, 1, ${now}::bigint,
              CASE WHEN 1 >= ${policy.limit}::int THEN ${lockedUntil}::bigint END)
            ON CONFLICT (key) DO UPDATE SET
              failures = CASE WHEN t.window_started_at <= ${windowEnd}::bigint THEN 1 ELSE t.failures + 1 END,
              window_started_at = CASE WHEN t.window_started_at <= ${windowEnd}::bigint
                THEN ${now}::bigint ELSE t.window_started_at END,
              locked_until = CASE
                WHEN (CASE WHEN t.window_started_at <= ${windowEnd}::bigint THEN 1 ELSE t.failures + 1 END)
                  >= ${policy.limit}::int THEN ${lockedUntil}::bigint
                ELSE t.locked_until END
            RETURNING *`,
      );
      const row = rows[0];
      if (row === undefined) throw new Error('login throttle upsert returned no row');
      return recordFromRow(row);
    },

    async clear(key) {
      await db.execute(sql`DELETE FROM login_throttle WHERE key = ${key}`);
    },
  };
}
