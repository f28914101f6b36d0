/**
 * The scheduler loop: polls `ScheduleService.fireDue` and sleeps until the next slot (at most
 * `intervalMs`). Safe in every process at once — every `autonoma worker` and every `autonoma serve`
 * replica may run one on the same store: a slot's run carries the idempotency key
 * `schedule:<id>:<slot>` and the move past a slot is a compare-and-set, so each slot starts one run.
 */
import type { Clock } from '@autonoma/core';
import { systemClock } from '@autonoma/core';
import type { Firing, ScheduleService } from '../services/schedule-service.ts';

/** Options of {@link startScheduler}. */
export interface SchedulerOptions {
  /** The longest wait between two passes, in milliseconds. @default 5000 */
  intervalMs?: number;
  /** The time the waits are computed with: the app's clock. @default the system clock */
  clock?: Clock;
  /**
   * Called with a pass that failed (the store did not answer) or a slot that created no run; the loop
   * keeps polling either way. @default ignored
   */
  onError?: (error: unknown, firing?: Firing) => void;
  /** Called with each slot this process fired (a run created, or found created by another). */
  onFiring?: (firing: Firing) => void;
}

/** A running scheduler. */
export interface Scheduler {
  /** Runs a pass now rather than at the next slot (e.g. a schedule was created elsewhere). */
  wake(): void;
  /** Stops polling; resolves when the pass in progress, if any, has finished. Idempotent. */
  stop(): Promise<void>;
}

/** The default longest wait between two passes. */
export const defaultSchedulerIntervalMs = 5_000;

/** A wait after a pass that left a slot still due with no failure to back off from. */
const minimumWaitMs = 100;

/**
 * Starts polling `services.schedules.fireDue()`: at once, then when the earliest slot comes, at least
 * every `intervalMs`, and at once when this process creates or resumes a schedule. The timer keeps the
 * process alive until {@link Scheduler.stop}.
 *
 * @example
 * const scheduler = startScheduler(app.services, { clock: app.clock, onError: (e) => log.warn(e) });
 * // on shutdown, before app.close():
 * await scheduler.stop();
 */
export function startScheduler(
  services: { schedules: Pick<ScheduleService, 'fireDue' | 'onChange'> },
  options: SchedulerOptions = {},
): Scheduler {
  const { schedules } = services;
  const intervalMs = options.intervalMs ?? defaultSchedulerIntervalMs;
  const clock = options.clock ?? systemClock;
  let stopped = false;
  let wakeRequested = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let endWait: (() => void) | undefined;

  const report = (call: () => void): void => {
    try {
      call();
    } catch {
      // A reporting callback that throws must not stop the schedules.
    }
  };

  const wake = (): void => {
    wakeRequested = true;
    if (timer !== undefined) clearTimeout(timer);
    endWait?.();
  };
  const unsubscribe = schedules.onChange(wake);

  /** How long to wait after a pass. */
  const waitAfter = async (): Promise<number> => {
    wakeRequested = false;
    const { firings, nextDueAt, more } = await schedules.fireDue();
    let retry = false;
    for (const firing of firings) {
      if (firing.error !== undefined) report(() => options.onError?.(new Error(firing.error), firing));
      if (firing.runId !== undefined) report(() => options.onFiring?.(firing));
      // A slot left due after a failure is retried at the next regular pass, not in a tight loop.
      if (!firing.advanced && firing.runId === undefined) retry = true;
    }
    if (more) return 0;
    if (retry || nextDueAt === null) return intervalMs;
    const until = nextDueAt - clock.now();
    return until > 0 ? Math.min(until, intervalMs) : minimumWaitMs;
  };

  const loop = (async () => {
    while (!stopped) {
      let wait = intervalMs;
      try {
        wait = await waitAfter();
      } catch (error) {
        report(() => options.onError?.(error));
      }
      if (stopped) break;
      if (wakeRequested) continue;
      await new Promise<void>((resolve) => {
        endWait = resolve;
        timer = setTimeout(resolve, wait);
      });
      timer = undefined;
      endWait = undefined;
    }
  })();

  return {
    wake,
    async stop() {
      stopped = true;
      unsubscribe();
      wake();
      await loop;
    },
  };
}
