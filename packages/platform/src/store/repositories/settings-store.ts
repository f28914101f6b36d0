/** Key-value settings. */
import type { SettingsStore } from '@autonoma/core';
import { sql } from '../sql.ts';
import { queryRows, type Executor } from '../driver.ts';

/** Creates the {@link SettingsStore} over an {@link Executor}. */
export function createSettingsStore(db: Executor): SettingsStore {
  const get = async (key: string): Promise<string | undefined> => {
    const row = (await queryRows(db, sql`SELECT value FROM settings WHERE key = ${key}`))[0];
    return row === undefined ? undefined : String(row.value);
  };
  return {
    get,
    async setIfAbsent(key, value) {
      const rows = await queryRows(
        db,
        sql`INSERT INTO settings (key, value) VALUES (${key}, ${value}) ON CONFLICT (key) DO NOTHING RETURNING value`,
      );
      if (rows[0] !== undefined) return String(rows[0].value);
      const stored = await get(key);
      // Settings are never deleted, so a conflicting row is visible now.
      return stored ?? value;
    },
    async set(key, value) {
      await db.execute(
        sql`INSERT INTO settings (key, value) VALUES (${key}, ${value})
            ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      );
    },
  };
}
