/** Schedules: cron goals, and the compare-and-set that lets every process fire them safely. */
import type { Goal, Priority, Schedule, ScheduleStore } from '@autonoma/core';
import { sql, type SQL } from '../sql.ts';
import { queryRows, type Executor } from '../driver.ts';
import { jsonText, toNumber, toNumberOrNull, toStringOrNull } from './values.ts';

const scheduleFromRow = (row: Record<string, unknown>): Schedule => ({
  id: String(row.id),
  orgId: String(row.org_id),
  agentId: String(row.agent_id),
  // Written only by `create` from a parsed Goal.
  goal: row.goal as Goal,
  cron: String(row.cron),
  timeZone: String(row.time_zone),
  priority: String(row.priority) as Priority,
  paused: row.paused === true,
  createdAt: toNumber(row.created_at),
  updatedAt: toNumber(row.updated_at),
  nextFireAt: toNumberOrNull(row.next_fire_at),
  lastFiredSlot: toNumberOrNull(row.last_fired_slot),
  lastError: toStringOrNull(row.last_error),
});

/** Creates the {@link ScheduleStore} over an {@link Executor}. */
export function createScheduleStore(db: Executor): ScheduleStore {
  const one = async (query: SQL): Promise<Schedule | undefined> => {
    const row = (await queryRows(db, query))[0];
    return row === undefined ? undefined : scheduleFromRow(row);
  };
  const get = (orgId: string, id: string): Promise<Schedule | undefined> =>
    one(sql`SELECT * FROM schedules WHERE org_id = ${orgId} AND id = ${id}`);
  return {
    async create(schedule) {
      const created = await one(
        sql`INSERT INTO schedules (id, org_id, agent_id, goal, cron, time_zone, priority, paused,
              next_fire_at, created_at, updated_at)
            VALUES (${schedule.id}, ${schedule.orgId}, ${schedule.agentId}, ${jsonText(schedule.goal)}::jsonb,
              ${schedule.cron}, ${schedule.timeZone}, ${schedule.priority}, false,
              ${schedule.nextFireAt}::bigint, ${schedule.now}::bigint, ${schedule.now}::bigint)
            RETURNING *`,
      );
      if (created === undefined) throw new Error('schedule insert returned no row');
      return created;
    },

    get,

    async list(orgId) {
      const rows = await queryRows(
        db,
        sql`SELECT * FROM schedules WHERE org_id = ${orgId} ORDER BY created_at, id`,
      );
      return rows.map(scheduleFromRow);
    },

    async setPaused(orgId, id, change) {
      // Only a real change writes: resuming a running schedule keeps its slot.
      const updated = await one(
        sql`UPDATE schedules SET paused = ${change.paused},
              next_fire_at = CASE WHEN ${change.paused} THEN next_fire_at ELSE ${change.nextFireAt}::bigint END,
              updated_at = ${change.now}::bigint
            WHERE org_id = ${orgId} AND id = ${id} AND paused <> ${change.paused}
            RETURNING *`,
      );
      return updated ?? get(orgId, id);
    },

    async delete(orgId, id) {
      const rows = await queryRows(
        db,
        sql`DELETE FROM schedules WHERE org_id = ${orgId} AND id = ${id} RETURNING id`,
      );
      return rows.length > 0;
    },

    async due(now, limit) {
      const rows = await queryRows(
        db,
        sql`SELECT * FROM schedules WHERE NOT paused AND next_fire_at <= ${now}::bigint
            ORDER BY next_fire_at, id LIMIT ${limit}`,
      );
      return rows.map(scheduleFromRow);
    },

    async nextDueAt() {
      const rows = await queryRows(db, sql`SELECT min(next_fire_at) AS at FROM schedules WHERE NOT paused`);
      return toNumberOrNull(rows[0]?.at);
    },

    async advance(orgId, id, advance) {
      const rows = await queryRows(
        db,
        sql`UPDATE schedules SET next_fire_at = ${advance.nextFireAt}::bigint,
              last_fired_slot = ${advance.slot}::bigint, last_error = ${advance.error}::text,
              updated_at = ${advance.now}::bigint
            WHERE org_id = ${orgId} AND id = ${id} AND next_fire_at = ${advance.expectedNextFireAt}::bigint
              AND (last_fired_slot IS NULL OR last_fired_slot < ${advance.slot}::bigint)
            RETURNING id`,
      );
      return rows.length > 0;
    },
  };
}
