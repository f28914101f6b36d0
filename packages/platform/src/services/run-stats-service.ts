import type { Clock, Scope } from '@autonoma/core';
import { userError } from '@autonoma/core';
import type { RunStats } from '../store/repositories/run-stats-queries.ts';
import { readRunStats } from '../store/repositories/run-stats-queries.ts';
import type { Executor } from '../store/driver.ts';

/** Bucket lengths a window may be cut into. */
export const statsBuckets = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
/** A bucket length by name. */
export type StatsBucket = keyof typeof statsBuckets;

/** Buckets one window may hold at most. */
export const maxStatsBuckets = 1_000;

/** The window asked for; absent times default to the last day up to now. */
export interface RunStatsQuery {
  from?: number;
  to?: number;
  /** @default 'hour' */
  bucket?: StatsBucket;
}

/** The statistics with the window they cover. */
export interface RunStatsReport extends RunStats {
  from: number;
  to: number;
  bucket: StatsBucket;
  bucketMs: number;
}

/** What the service needs. */
export interface RunStatsServiceDeps {
  /** The store holding `runs` and `run_events`. */
  db: Executor;
  clock: Clock;
}

const day = statsBuckets.day;

/**
 * The statistics of the caller's organization's runs over a window (the dashboard's operations
 * charts): runs created per bucket by their state, step durations (percentiles, overall and per
 * bucket), and model calls, tokens and cost per agent. Computed in SQL over the whole window.
 */
export class RunStatsService {
  readonly #deps: RunStatsServiceDeps;

  constructor(deps: RunStatsServiceDeps) {
    this.#deps = deps;
  }

  /** Throws `invalid_input` naming the parameter for a window that is empty or has too many buckets. */
  async stats(scope: Scope, query: RunStatsQuery = {}): Promise<RunStatsReport> {
    const to = query.to ?? this.#deps.clock.now();
    const from = query.from ?? to - day;
    const bucket = query.bucket ?? 'hour';
    const bucketMs = statsBuckets[bucket];
    if (from >= to) {
      throw userError(
        'invalid_input',
        `from: must be before to (from ${from} is not before to ${to}, in milliseconds since the epoch)`,
      );
    }
    const buckets = Math.ceil((to - from) / bucketMs);
    if (buckets > maxStatsBuckets) {
      throw userError(
        'invalid_input',
        `bucket: '${bucket}' cuts this window into ${buckets} buckets, at most ${maxStatsBuckets}: choose a longer bucket or a shorter window`,
      );
    }
    const stats = await readRunStats(this.#deps.db, { orgId: scope.orgId, from, to, bucketMs });
    return { from, to, bucket, bucketMs, ...stats };
  }
}
