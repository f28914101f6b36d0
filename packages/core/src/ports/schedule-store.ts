import type { Goal, Priority } from '../protocol/run.ts';

/**
 * A cron schedule: every slot of `cron`, read in `timeZone`, starts one run of `agentId` at `goal`.
 * A *slot* is the instant (epoch ms) a cron expression names; it identifies its firing (the run's
 * idempotency key is `schedule:<id>:<slot>`).
 */
export interface Schedule {
  id: string;
  orgId: string;
  /** The id of the agent each run uses. */
  agentId: string;
  goal: Goal;
  /** A cron expression: five fields, or six with seconds first. */
  cron: string;
  /** The IANA time zone the expression is read in (`Europe/Paris`, `UTC`). */
  timeZone: string;
  /** The priority of the runs it starts. */
  priority: Priority;
  /** A paused schedule fires nothing; its slots pass unfired. */
  paused: boolean;
  createdAt: number;
  updatedAt: number;
  /** The next slot to fire, or null when the expression names no future instant. */
  nextFireAt: number | null;
  /** The last slot fired (a run created, or the slot given up with `lastError`). */
  lastFiredSlot: number | null;
  /** Why the last fired slot created no run (its agent was deleted…); null after a run was created. */
  lastError: string | null;
}

/** Input to create a schedule: ids, times and the first slot come from the caller. */
export interface NewSchedule {
  id: string;
  orgId: string;
  agentId: string;
  goal: Goal;
  cron: string;
  timeZone: string;
  priority: Priority;
  nextFireAt: number | null;
  now: number;
}

/** A firing's move to the next slot, compare-and-set on the slot it read. */
export interface ScheduleAdvance {
  /** The `nextFireAt` the firing read: nothing changes unless it is still the stored one. */
  expectedNextFireAt: number;
  /** The slot fired (or given up). */
  slot: number;
  /** The slot after it (null: none). */
  nextFireAt: number | null;
  /** Why the slot created no run; null when it did. */
  error: string | null;
  now: number;
}

/** A pause or a resume. */
export interface SchedulePause {
  paused: boolean;
  /** The next slot, recomputed on resume (slots passed while paused are not fired). Ignored on pause. */
  nextFireAt: number | null;
  now: number;
}

/**
 * Schedules. Every read and write names the organization, except the scheduler's two cross-tenant
 * reads (`due`, `nextDueAt`) and its compare-and-set `advance`, which any number of processes may run
 * at once: of several firings of one slot, exactly one advance succeeds.
 */
export interface ScheduleStore {
  create(schedule: NewSchedule): Promise<Schedule>;
  get(orgId: string, id: string): Promise<Schedule | undefined>;
  /** The organization's schedules, oldest first. */
  list(orgId: string): Promise<Schedule[]>;
  /** Pauses or resumes; undefined when there is no such schedule in the organization. */
  setPaused(orgId: string, id: string, change: SchedulePause): Promise<Schedule | undefined>;
  delete(orgId: string, id: string): Promise<boolean>;
  /** Unpaused schedules of every organization whose next slot has come (`nextFireAt ≤ now`), earliest first. */
  due(now: number, limit: number): Promise<Schedule[]>;
  /** The earliest `nextFireAt` of any unpaused schedule (when a poller next has work), or null. */
  nextDueAt(): Promise<number | null>;
  /**
   * Moves a schedule past `slot`, only when its `nextFireAt` is still `expectedNextFireAt` and `slot`
   * is later than its `lastFiredSlot`. True when this call moved it; false when another firing did, or
   * the schedule was deleted, paused and resumed, or is gone.
   */
  advance(orgId: string, id: string, advance: ScheduleAdvance): Promise<boolean>;
}
