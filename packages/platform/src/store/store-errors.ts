/**
 * Driver failures as Autonoma errors, split by whether trying again can help. Both drivers report
 * PostgreSQL's SQLSTATE in `code`. Messages carry PostgreSQL's one-line message and the SQLSTATE, never
 * the statement, its parameters or the error's `detail` (which can quote stored values).
 */
import { AutonomaError, dependencyError, describeError } from '@autonoma/core';

/**
 * SQLSTATE classes whose failures repeat whatever the timing: data exceptions (22, e.g. a NUL in text),
 * integrity violations (23), syntax or access rules (42), program limits (54).
 */
const permanentClasses = new Set(['22', '23', '42', '54']);
/** Connection (08), transaction rollback (40), resources (53), operator intervention (57), system (58). */
const transientClasses = new Set(['08', '40', '53', '57', '58']);
/** Socket errors of a database that is down or unreachable. */
const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

const sqlState = (error: unknown): string | undefined => {
  const code = error !== null && typeof error === 'object' && 'code' in error ? error.code : undefined;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
};

/**
 * Maps a driver error: `store_rejected` when the database refused the statement for a reason that will
 * not go away (the caller must not retry it as is), `dependency_unavailable` when it may work later.
 * Autonoma errors and anything unrecognized pass through unchanged.
 */
export function storeFailure(error: unknown): unknown {
  if (error instanceof AutonomaError) return error;
  const state = sqlState(error);
  if (state !== undefined) {
    const family = state.slice(0, 2);
    if (permanentClasses.has(family)) {
      return new AutonomaError(
        'store_rejected',
        `the store refused the statement: ${describeError(error)} (SQLSTATE ${state})`,
        {
          category: 'system',
          status: 500,
          cause: error,
          details: { sqlState: state },
        },
      );
    }
    if (transientClasses.has(family))
      return dependencyError(`the store is unavailable: ${describeError(error)} (SQLSTATE ${state})`, error);
    return error;
  }
  const code = error !== null && typeof error === 'object' && 'code' in error ? error.code : undefined;
  if (typeof code === 'string' && networkCodes.has(code))
    return dependencyError(`the store is unavailable: ${code}`, error);
  return error;
}
