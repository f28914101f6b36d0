import type { AuditLog, Clock, GoalSpec, IdGenerator, Schedule, ScheduleStore, Scope } from '@autonoma/core';
import { Goal, Priority, describeError, isAutonomaError, notFound, userError } from '@autonoma/core';
import type { CronSpec } from '../schedules/cron.ts';
import type { RunService } from './run-service.ts';

/** What the schedule service needs. */
export interface ScheduleServiceDeps {
  schedules: ScheduleStore;
  /** Starts each slot's run (and resolves agents when a schedule is created). */
  runs: RunService;
  audit: AuditLog;
  clock: Clock;
  ids: IdGenerator;
}

/** Input to create a schedule. */
export interface NewScheduleInput {
  goal: string;
  spec?: GoalSpec;
  /** Five fields (minute hour day-of-month month day-of-week), six with seconds first, or `@daily`… */
  cron: string;
  /** An IANA time zone name. @default 'UTC' */
  timeZone?: string;
  /** An agent's name or id. @default the default agent */
  agent?: string;
  /** One of `critical`, `high`, `normal`, `low`. @default 'normal' */
  priority?: string;
}

/** What one pass did for one due schedule. */
export interface Firing {
  scheduleId: string;
  orgId: string;
  /** The slot fired: the most recent one due (earlier missed slots are not fired). */
  slot: number;
  /** The slot's run: created by this pass, or found (another process created it first). */
  runId?: string;
  /** Why no run was created. */
  error?: string;
  /**
   * True when this pass moved the schedule past the slot. False when another process did first, or
   * when starting the run failed for a reason worth retrying (the store did not answer): the next
   * pass tries the slot again, under the same idempotency key.
   */
  advanced: boolean;
}

/** The outcome of {@link ScheduleService.fireDue}. */
export interface FireDueResult {
  firings: Firing[];
  /** The earliest next slot of any unpaused schedule after this pass (null: none). */
  nextDueAt: number | null;
  /** The pass stopped at its limit: more schedules may be due already. */
  more: boolean;
}

/** The idempotency key of a slot's run: one run per (schedule, slot), whoever creates it. */
export const slotRunKey = (scheduleId: string, slot: number): string => `schedule:${scheduleId}:${slot}`;

/**
 * The cron module, loaded on first use: cron-parser and Luxon cost every process that opens the app
 * ~30 ms and ~5 MB, and only one that creates, resumes or fires a schedule needs them.
 */
const loadCron = () => import('../schedules/cron.ts');

const specOf = (schedule: Schedule): CronSpec => ({
  cron: schedule.cron,
  timeZone: schedule.timeZone,
  seed: schedule.id,
});

/**
 * Cron goals of the caller's organization (create, list, get, pause, resume, delete), and the
 * scheduler's pass over every organization's due schedules ({@link ScheduleService.fireDue}). Any
 * number of processes may run passes at once: each slot starts one run.
 */
export class ScheduleService {
  readonly #deps: ScheduleServiceDeps;
  readonly #listeners = new Set<() => void>();

  constructor(deps: ScheduleServiceDeps) {
    this.#deps = deps;
  }

  /**
   * Validates and stores a schedule; its first slot is the first after now. An invalid cron
   * expression, time zone, priority or goal, or an unknown agent, is a one-line user error naming it.
   */
  async create(scope: Scope, input: NewScheduleInput): Promise<Schedule> {
    const deps = this.#deps;
    const { cron, timeZone, priority, goal } = await checkSchedule(input);
    const { nextSlot } = await loadCron();
    const agent = await deps.runs.agent(scope, input.agent);
    const id = deps.ids.next('sch');
    const now = deps.clock.now();
    const schedule = await deps.schedules.create({
      id,
      orgId: scope.orgId,
      agentId: agent.id,
      goal,
      cron,
      timeZone,
      priority,
      nextFireAt: nextSlot({ cron, timeZone, seed: id }, now),
      now,
    });
    await this.#audit(scope, 'schedule.create', schedule.id, { cron, timeZone, agent: agent.name });
    this.#changed();
    return schedule;
  }

  /** The organization's schedules, oldest first. */
  list(scope: Scope): Promise<Schedule[]> {
    return this.#deps.schedules.list(scope.orgId);
  }

  /** A schedule of the caller's organization, or `not_found`. */
  async get(scope: Scope, id: string): Promise<Schedule> {
    const schedule = await this.#deps.schedules.get(scope.orgId, id);
    if (!schedule) throw notFound('schedule', id);
    return schedule;
  }

  /** Stops firing; the slots that pass while paused are never fired. */
  async pause(scope: Scope, id: string): Promise<Schedule> {
    const deps = this.#deps;
    const paused = await deps.schedules.setPaused(scope.orgId, id, {
      paused: true,
      nextFireAt: null,
      now: deps.clock.now(),
    });
    if (!paused) throw notFound('schedule', id);
    await this.#audit(scope, 'schedule.pause', id, {});
    return paused;
  }

  /** Fires again from the first slot after now (nothing missed while paused is caught up). */
  async resume(scope: Scope, id: string): Promise<Schedule> {
    const deps = this.#deps;
    const schedule = await this.get(scope, id);
    const { nextSlot } = await loadCron();
    const now = deps.clock.now();
    const resumed = await deps.schedules.setPaused(scope.orgId, id, {
      paused: false,
      nextFireAt: nextSlot(specOf(schedule), now),
      now,
    });
    if (!resumed) throw notFound('schedule', id);
    await this.#audit(scope, 'schedule.resume', id, {});
    this.#changed();
    return resumed;
  }

  /** Deletes a schedule (its runs stay); `not_found` when there is none. */
  async delete(scope: Scope, id: string): Promise<void> {
    if (!(await this.#deps.schedules.delete(scope.orgId, id))) throw notFound('schedule', id);
    await this.#audit(scope, 'schedule.delete', id, {});
  }

  /**
   * Calls `listener` when this process creates or resumes a schedule (a poller sleeping until a later
   * slot wakes up to look). Returns the function that removes it.
   */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * One scheduler pass over every organization: for each unpaused schedule whose slot has come, starts
   * the run of its most recent due slot (missed earlier slots are not fired one by one) with the
   * idempotency key `schedule:<id>:<slot>` and its job in the same statement, then moves the schedule
   * past that slot by compare-and-set. Each run is started in its schedule's organization, acting as
   * `schedule:<id>`. Safe to run in any number of processes at once.
   *
   * @param now the pass's time @default the clock's
   * @param limit schedules handled in one pass @default 100
   */
  async fireDue(now: number = this.#deps.clock.now(), limit = 100): Promise<FireDueResult> {
    const store = this.#deps.schedules;
    const earliest = await store.nextDueAt();
    // The common, idle pass: one query.
    if (earliest === null || earliest > now) return { firings: [], nextDueAt: earliest, more: false };
    const due = await store.due(now, limit);
    const cron = await loadCron();
    const firings: Firing[] = [];
    for (const schedule of due) firings.push(await this.#fire(schedule, now, cron));
    return { firings, nextDueAt: await store.nextDueAt(), more: due.length === limit };
  }

  async #fire(
    schedule: Schedule,
    now: number,
    { latestSlot, nextSlot }: Awaited<ReturnType<typeof loadCron>>,
  ): Promise<Firing> {
    const store = this.#deps.schedules;
    const expected = schedule.nextFireAt ?? now;
    const base = { scheduleId: schedule.id, orgId: schedule.orgId };
    let slot: number;
    let next: number | null;
    try {
      slot = latestSlot(specOf(schedule), now, expected);
      next = nextSlot(specOf(schedule), slot);
    } catch (caught) {
      // A stored expression that no longer computes (written by hand?): stop it, say why.
      const error = `cannot compute the slots of '${schedule.cron}' in ${schedule.timeZone}: ${describeError(caught)}`;
      const advanced = await store.advance(schedule.orgId, schedule.id, {
        expectedNextFireAt: expected,
        slot: expected,
        nextFireAt: null,
        error,
        now,
      });
      return { ...base, slot: expected, error, advanced };
    }
    let runId: string | undefined;
    let error: string | null = null;
    try {
      const run = await this.#deps.runs.start(
        { orgId: schedule.orgId, actor: `schedule:${schedule.id}` },
        {
          goal: schedule.goal.text,
          ...(schedule.goal.spec ? { spec: schedule.goal.spec } : {}),
          agent: schedule.agentId,
          priority: schedule.priority,
          idempotencyKey: slotRunKey(schedule.id, slot),
          enqueue: true,
        },
      );
      runId = run.id;
    } catch (caught) {
      // Nothing to retry when the request itself is wrong (its agent was deleted): the slot is given up
      // and the reason kept on the schedule. Anything else (the store did not answer) is tried again.
      if (!(isAutonomaError(caught) && caught.category === 'user'))
        return { ...base, slot, error: describeError(caught), advanced: false };
      error = caught.message;
    }
    const advanced = await store.advance(schedule.orgId, schedule.id, {
      expectedNextFireAt: expected,
      slot,
      nextFireAt: next,
      error,
      now,
    });
    return {
      ...base,
      slot,
      advanced,
      ...(runId === undefined ? {} : { runId }),
      ...(error ? { error } : {}),
    };
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }

  async #audit(scope: Scope, action: string, target: string, detail: Record<string, unknown>): Promise<void> {
    await this.#deps.audit.append({
      orgId: scope.orgId,
      actor: scope.actor,
      action,
      target,
      detail,
      at: this.#deps.clock.now(),
    });
  }
}

/** A schedule's settings, checked and normalized. */
export interface CheckedSchedule {
  cron: string;
  timeZone: string;
  priority: Priority;
  goal: Goal;
}

/**
 * Checks a schedule's cron expression, time zone, priority and goal, in that order, without the
 * store: the first invalid one is a one-line user error naming it and why. `create` runs it; an
 * interface may run it first to refuse bad input before opening anything.
 */
export async function checkSchedule(input: NewScheduleInput): Promise<CheckedSchedule> {
  const { checkCron, checkTimeZone } = await loadCron();
  return {
    cron: checkCron(input.cron),
    timeZone: checkTimeZone(input.timeZone ?? 'UTC'),
    priority: parsePriority(input.priority),
    goal: parseGoal(input),
  };
}

function parsePriority(priority: string | undefined): Priority {
  const parsed = Priority.safeParse(priority ?? 'normal');
  if (!parsed.success)
    throw userError(
      'invalid_input',
      `invalid priority '${priority}': one of ${Priority.options.join(', ')}`,
      {
        field: 'priority',
      },
    );
  return parsed.data;
}

function parseGoal(input: NewScheduleInput): Goal {
  const parsed = Goal.safeParse({ text: input.goal, ...(input.spec ? { spec: input.spec } : {}) });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw userError(
      'invalid_goal',
      `invalid goal: ${issue?.path.join('.') || 'text'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}
