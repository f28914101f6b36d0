import type { Clock } from '@autonoma/core';
import { classifyModelError, modelFailureError, type ModelFailure } from './model-errors.ts';

/** How model calls are retried. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Ceiling of the first backoff; doubles on each retry. @default 500 */
  baseDelayMs: number;
  /** Longest wait between attempts; a `Retry-After` above it is not waited for. @default 60000 */
  maxDelayMs: number;
  /** Jitter source in [0, 1). @default Math.random */
  random: () => number;
}

/** Default backoff timing. */
export const defaultRetryTiming = { baseDelayMs: 500, maxDelayMs: 60_000 } as const;

/**
 * The wait before retry number `retry` (1-based), or `undefined` to give up. A provider's
 * `Retry-After` is honoured exactly; otherwise exponential backoff with "equal jitter": a random wait
 * between half and all of `baseDelayMs · 2^(retry-1)`, capped by `maxDelayMs`.
 */
export function retryDelay(failure: ModelFailure, retry: number, policy: RetryPolicy): number | undefined {
  if (!failure.retryable || retry > policy.maxRetries) return undefined;
  if (failure.retryAfterMs !== undefined) {
    return failure.retryAfterMs <= policy.maxDelayMs ? failure.retryAfterMs : undefined;
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (policy.random() * ceiling) / 2);
}

/** The abort signal of one attempt: the caller's signal combined with the attempt's time limit. */
export interface AttemptSignal {
  signal: AbortSignal;
  timedOut(): boolean;
  cancelled(): boolean;
}

/** Combines `parent` (the run's signal) with a fresh `AbortSignal.timeout(timeoutMs)`. */
export function attemptSignal(timeoutMs: number, parent?: AbortSignal): AttemptSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = parent ? AbortSignal.any([parent, timeout]) : timeout;
  return {
    signal,
    cancelled: () => parent?.aborted === true,
    timedOut: () => timeout.aborted && parent?.aborted !== true,
  };
}

/** Options of {@link callWithRetries}. */
export interface CallWithRetriesOptions {
  policy: RetryPolicy;
  clock: Clock;
  timeoutMs: number;
  secrets: readonly string[];
  signal?: AbortSignal;
}

/**
 * Runs `attempt` until it succeeds, retrying retryable failures per `policy`; throws an
 * `AutonomaError` carrying the classified failure (secret-free) when it gives up.
 */
export async function callWithRetries<T>(
  attempt: (signal: AbortSignal) => Promise<T>,
  options: CallWithRetriesOptions,
): Promise<T> {
  for (let attempts = 1; ; attempts += 1) {
    const current = attemptSignal(options.timeoutMs, options.signal);
    try {
      return await attempt(current.signal);
    } catch (error) {
      const failure = classifyModelError(error, {
        timedOut: current.timedOut(),
        cancelled: current.cancelled(),
        timeoutMs: options.timeoutMs,
        now: options.clock.now(),
        secrets: options.secrets,
      });
      const delay = retryDelay(failure, attempts, options.policy);
      if (delay === undefined) throw modelFailureError(failure, attempts);
      try {
        await options.clock.sleep(delay, options.signal);
      } catch {
        throw modelFailureError(
          { code: 'model_cancelled', message: 'the model call was cancelled', retryable: false },
          attempts,
        );
      }
    }
  }
}
