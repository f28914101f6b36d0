/** Who is at fault when an operation fails; drives the HTTP status and whether a retry can help. */
export type ErrorCategory = 'user' | 'system' | 'model' | 'dependency';

/** HTTP status for each error code family. One table, used by the API and the CLI exit codes. */
export const errorStatus: Readonly<Record<string, number>> = Object.freeze({
  invalid_input: 400,
  invalid_config: 400,
  invalid_goal: 400,
  invalid_workspace: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  run_terminal: 409,
  lease_conflict: 409,
  fenced: 409,
  /** The same idempotency key with a different request. */
  idempotency_mismatch: 422,
  rate_limited: 429,
  model_error: 502,
  dependency_unavailable: 503,
  internal: 500,
});

/** Options for {@link AutonomaError}. */
export interface AutonomaErrorOptions {
  /** @default 'system' */
  category?: ErrorCategory;
  /** Overrides the status derived from the code. */
  status?: number;
  cause?: unknown;
  /** Extra structured facts; must never carry secrets. */
  details?: Record<string, unknown>;
}

/** The root error of Autonoma: a stable `code`, a `category`, an HTTP `status` and a safe `message`. */
export class AutonomaError extends Error {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: AutonomaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AutonomaError';
    this.code = code;
    this.category = options.category ?? 'system';
    this.status = options.status ?? errorStatus[code] ?? 500;
    this.details = options.details;
  }

  /** A JSON form safe to send to a client: no stack, no cause chain. */
  toJSON(): { code: string; message: string; category: ErrorCategory; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      category: this.category,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

/** Bad input from a user or a client. */
export const userError = (code: string, message: string, details?: Record<string, unknown>): AutonomaError =>
  new AutonomaError(code, message, { category: 'user', details });

/** Something named does not exist (or is not visible to the caller). */
export const notFound = (what: string, id: string): AutonomaError =>
  new AutonomaError('not_found', `${what} '${id}' not found`, { category: 'user', details: { what, id } });

/** A state conflict: a compare-and-set lost, a lease is held, a run is terminal. */
export const conflict = (code: string, message: string, details?: Record<string, unknown>): AutonomaError =>
  new AutonomaError(code, message, { category: 'user', status: 409, details });

/** A service we depend on (database, queue, model provider) failed. */
export const dependencyError = (message: string, cause?: unknown): AutonomaError =>
  new AutonomaError('dependency_unavailable', message, { category: 'dependency', cause });

/** A broken invariant inside Autonoma. */
export const internalError = (message: string, cause?: unknown): AutonomaError =>
  new AutonomaError('internal', message, { category: 'system', cause });

/** True when `value` is an {@link AutonomaError}. */
export const isAutonomaError = (value: unknown): value is AutonomaError => value instanceof AutonomaError;

/** A one-line, secret-free description of any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}
