import type { Priority } from '../protocol/run.ts';

/**
 * Kinds of work the queue carries. `agent-run` advances one run by a slice; `learning-refresh`
 * consolidates an organization's statistics and memories. Other kinds (schedule firings) are strings
 * their producers and handlers agree on.
 */
export const jobKinds = { agentRun: 'agent-run', learningRefresh: 'learning-refresh' } as const;

/** The queues, in the order a worker serving several of them prefers them. */
export const jobQueues: readonly Priority[] = ['critical', 'high', 'normal', 'low'];

/** What a producer asks for. */
export interface NewJob {
  kind: string;
  /** The organization the job works for: its handler builds its scope from it. */
  orgId: string;
  /** JSON-serializable input of the handler. */
  payload: Record<string, unknown>;
  /** @default 'normal' */
  priority?: Priority;
  /** Not before this time (epoch ms). @default now */
  runAt?: number;
  /** At most one job per key waits at a time: enqueueing a second returns the first. */
  dedupeKey?: string;
  /** Starts (crashed or failed) before the job fails for good. @default 5 */
  maxAttempts?: number;
  /** The run an `agent-run` job advances (counted against its organization's and agent's caps). */
  runId?: string;
  agentId?: string;
}

/** A job handed to a handler. */
export interface Job {
  id: string;
  kind: string;
  orgId: string;
  priority: Priority;
  payload: Record<string, unknown>;
  /**
   * This start's number, from 1. Every start counts, including those that never finished because their
   * process died: a job seen with `attempt > maxAttempts` crashed its workers `maxAttempts` times.
   */
  attempt: number;
  maxAttempts: number;
  runId: string | null;
  agentId: string | null;
  dedupeKey: string | null;
  /** The error of the previous attempt, if it ended by one. */
  lastError: string | null;
  /**
   * True when the previous attempt never ended: its consumer died (or lost the job) while running it.
   * A job recovered more than once runs alone in its consumer, so a job that kills its process takes
   * no other job down with it.
   */
  recovered: boolean;
  createdAt: number;
}

/**
 * How a handler ended a job. A handler that throws asks for a retry: the job runs again after an
 * exponential backoff with jitter ({@link jobBackoffMs}) until `maxAttempts`, then fails.
 */
export type JobResult =
  | { status: 'done' }
  /** Fails the job now, whatever attempts are left. */
  | { status: 'failed'; error: string }
  /** Hands the job back until `until` (epoch ms) without counting this start as an attempt. */
  | { status: 'deferred'; until: number; reason: string };

/** What a handler is given besides its job. */
export interface JobContext {
  /**
   * Aborted when the consumer drains (SIGTERM): finish or checkpoint the work in progress and return
   * soon; never cancel a user's run because of it.
   */
  drain: AbortSignal;
}

/** Runs one job. Returning nothing means done. */
export type JobHandler = (job: Job, context: JobContext) => Promise<JobResult | void>;

/** What a consumer serves. */
export interface ConsumeOptions {
  /** The priority queues it takes jobs from, preferred in {@link jobQueues} order. */
  queues: readonly Priority[];
  /** Jobs handled at once by this consumer. */
  concurrency: number;
  handler: JobHandler;
  /** Who consumes (a registered worker's id), recorded on the jobs it holds. @default a random id */
  consumer?: string;
  /**
   * Called instead of `handler` for a job whose every attempt was lost to a crash of its consumer
   * (`attempt > maxAttempts`): a poison job is never run again. The job then fails with `stalled`;
   * this hook lets the owner of the work give up on it too (a worker fails the job's run).
   */
  onStalled?: (job: Job) => Promise<void>;
}

/** A running consumer. */
export interface JobConsumer {
  /** Stops taking jobs; jobs in flight go on. */
  pause(): Promise<void>;
  /** Takes jobs again after {@link pause}. */
  resume(): void;
  /**
   * Stops taking jobs. With `drain`, the handlers' drain signal is aborted and in-flight jobs are waited
   * for up to `graceMs`; without it (or once the grace period ends) it returns at once and jobs still in
   * flight are recovered later as stalled. Resolves with how many were left unfinished.
   */
  close(options?: { drain?: boolean; graceMs?: number }): Promise<{ unfinished: number }>;
  /** Jobs being handled now. */
  readonly inFlight: number;
}

/**
 * The job queue: durable jobs with a priority, a delay, a dedupe key and bounded retries, consumed by
 * pools of handlers. Implemented by the local queue (jobs are rows of the store) and by BullMQ.
 */
export interface JobQueue {
  /** Accepts a job once it is durable; returns its id and whether it was new (not deduplicated). */
  enqueue(job: NewJob): Promise<{ id: string; created: boolean }>;
  /** Starts a consumer. */
  consume(options: ConsumeOptions): JobConsumer;
  /** Stops every consumer (without draining) and releases the transport. */
  close(): Promise<void>;
}

/** Backoff settings of {@link jobBackoffMs}. */
export interface BackoffOptions {
  /** Delay before the second attempt. @default 1000 */
  baseMs?: number;
  /** Longest delay. @default 60000 */
  maxMs?: number;
  /** A number in [0, 1); injected by tests. @default Math.random */
  random?: () => number;
}

/**
 * The delay before the attempt after `attempt` (1-based) failed: exponential (`baseMs · 2^(attempt−1)`,
 * capped at `maxMs`) with "equal jitter" — half of it fixed, half random — so retries of many jobs that
 * failed together spread out, yet never come sooner than half the exponential delay.
 */
export function jobBackoffMs(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseMs ?? 1000;
  const max = options.maxMs ?? 60_000;
  const exponential = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  const random = options.random ?? Math.random;
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
