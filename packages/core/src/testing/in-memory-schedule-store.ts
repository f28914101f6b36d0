import type {
  NewSchedule,
  Schedule,
  ScheduleAdvance,
  SchedulePause,
  ScheduleStore,
} from '../ports/schedule-store.ts';
import { copy } from './in-memory-run-store.ts';

/** An in-memory {@link ScheduleStore} with the SQL store's compare-and-set semantics. */
export class InMemoryScheduleStore implements ScheduleStore {
  readonly #schedules = new Map<string, Schedule>();

  #find(orgId: string, id: string): Schedule | undefined {
    const schedule = this.#schedules.get(id);
    return schedule?.orgId === orgId ? schedule : undefined;
  }

  async create(input: NewSchedule): Promise<Schedule> {
    if (this.#schedules.has(input.id)) throw new Error(`schedule '${input.id}' already exists`);
    const { now, ...fields } = copy(input);
    const schedule: Schedule = {
      ...fields,
      paused: false,
      createdAt: now,
      updatedAt: now,
      lastFiredSlot: null,
      lastError: null,
    };
    this.#schedules.set(schedule.id, schedule);
    return copy(schedule);
  }

  async get(orgId: string, id: string): Promise<Schedule | undefined> {
    return copy(this.#find(orgId, id));
  }

  async list(orgId: string): Promise<Schedule[]> {
    return [...this.#schedules.values()]
      .filter((schedule) => schedule.orgId === orgId)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(copy);
  }

  async setPaused(orgId: string, id: string, change: SchedulePause): Promise<Schedule | undefined> {
    const schedule = this.#find(orgId, id);
    if (schedule === undefined) return undefined;
    // Resuming a running schedule, or pausing a paused one, changes nothing (its slot stays).
    if (schedule.paused !== change.paused) {
      schedule.paused = change.paused;
      if (!change.paused) schedule.nextFireAt = change.nextFireAt;
      schedule.updatedAt = change.now;
    }
    return copy(schedule);
  }

  async delete(orgId: string, id: string): Promise<boolean> {
    if (this.#find(orgId, id) === undefined) return false;
    this.#schedules.delete(id);
    return true;
  }

  async due(now: number, limit: number): Promise<Schedule[]> {
    return [...this.#schedules.values()]
      .filter((schedule) => !schedule.paused && schedule.nextFireAt !== null && schedule.nextFireAt <= now)
      .sort((a, b) => (a.nextFireAt ?? 0) - (b.nextFireAt ?? 0))
      .slice(0, limit)
      .map(copy);
  }

  async nextDueAt(): Promise<number | null> {
    let earliest: number | null = null;
    for (const schedule of this.#schedules.values()) {
      if (schedule.paused || schedule.nextFireAt === null) continue;
      if (earliest === null || schedule.nextFireAt < earliest) earliest = schedule.nextFireAt;
    }
    return earliest;
  }

  async advance(orgId: string, id: string, advance: ScheduleAdvance): Promise<boolean> {
    const schedule = this.#find(orgId, id);
    if (schedule === undefined || schedule.nextFireAt !== advance.expectedNextFireAt) return false;
    if (schedule.lastFiredSlot !== null && schedule.lastFiredSlot >= advance.slot) return false;
    schedule.nextFireAt = advance.nextFireAt;
    schedule.lastFiredSlot = advance.slot;
    schedule.lastError = advance.error;
    schedule.updatedAt = advance.now;
    return true;
  }
}
