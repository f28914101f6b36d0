import { AutonomaError } from '@autonoma/core';
import {
  APICallError,
  EmptyResponseBodyError,
  InvalidResponseDataError,
  JSONParseError,
  NoContentGeneratedError,
  TypeValidationError,
} from 'ai';

/** Stable codes of model call failures, as they appear in `model-call-end.error.code`. */
export type ModelFailureCode =
  | 'rate_limited'
  | 'model_unavailable'
  | 'model_timeout'
  | 'model_rejected'
  | 'model_unauthorized'
  | 'model_malformed'
  | 'model_refused'
  | 'model_cancelled'
  | 'model_error';

/** A classified, secret-free model call failure. */
export interface ModelFailure {
  code: ModelFailureCode;
  /** One line, with secrets redacted. */
  message: string;
  /** True when another attempt may succeed. */
  retryable: boolean;
  /** HTTP status of the provider's answer, when there was one. */
  status?: number;
  /** How long the provider asked us to wait (`Retry-After`), in milliseconds. */
  retryAfterMs?: number;
}

/** What the caller knows about the attempt that failed. */
export interface FailureContext {
  /** The attempt's own time limit fired. */
  timedOut: boolean;
  /** The caller (the run) aborted. */
  cancelled: boolean;
  timeoutMs: number;
  /** Now, in epoch milliseconds, to resolve `Retry-After` dates. */
  now: number;
  /** Strings that must never appear in a message (API keys). */
  secrets: readonly string[];
}

const maxMessageLength = 300;

/** Replaces every secret in `text` and keeps the first line, bounded. */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 4) result = result.split(secret).join('[redacted]');
  }
  const line = result.split('\n')[0]?.trim() ?? '';
  return line.length > maxMessageLength ? `${line.slice(0, maxMessageLength - 1)}…` : line;
}

/** Classifies anything a model call threw or streamed as an error. */
export function classifyModelError(error: unknown, context: FailureContext): ModelFailure {
  const clean = (message: string): string => redact(message, context.secrets);
  if (context.cancelled) {
    return { code: 'model_cancelled', message: 'the model call was cancelled', retryable: false };
  }
  if (context.timedOut) {
    return {
      code: 'model_timeout',
      message: `the model did not answer within ${context.timeoutMs} ms`,
      retryable: true,
    };
  }
  if (APICallError.isInstance(error)) return classifyApiCallError(error, context, clean);
  if (
    JSONParseError.isInstance(error) ||
    TypeValidationError.isInstance(error) ||
    InvalidResponseDataError.isInstance(error) ||
    EmptyResponseBodyError.isInstance(error) ||
    NoContentGeneratedError.isInstance(error) ||
    isUnparsableStreamStart(error)
  ) {
    return {
      code: 'model_malformed',
      message: `the model provider sent a malformed answer: ${clean(errorMessage(error))}`,
      retryable: false,
    };
  }
  if (isConnectionError(error)) {
    return {
      code: 'model_unavailable',
      message: `the connection to the model provider failed: ${clean(errorMessage(error))}`,
      retryable: true,
    };
  }
  return {
    code: 'model_error',
    message: `the model call failed: ${clean(errorMessage(error))}`,
    retryable: false,
  };
}

function classifyApiCallError(
  error: APICallError,
  context: FailureContext,
  clean: (message: string) => string,
): ModelFailure {
  const status = error.statusCode;
  const detail = clean(error.message);
  if (status === undefined) {
    return {
      code: 'model_unavailable',
      message: `the model provider could not be reached: ${detail}`,
      retryable: true,
    };
  }
  if (status >= 200 && status < 300) {
    return {
      code: 'model_malformed',
      message: `the model provider sent a malformed answer: ${detail}`,
      retryable: false,
      status,
    };
  }
  const retryAfterMs = parseRetryAfter(error.responseHeaders, context.now);
  const withRetryAfter = retryAfterMs === undefined ? {} : { retryAfterMs };
  const answered = `the model provider answered HTTP ${status}: ${detail}`;
  if (status === 429)
    return { code: 'rate_limited', message: answered, retryable: true, status, ...withRetryAfter };
  if (status === 408)
    return { code: 'model_timeout', message: answered, retryable: true, status, ...withRetryAfter };
  if (status === 401 || status === 403) {
    return { code: 'model_unauthorized', message: answered, retryable: false, status };
  }
  if (status === 409 || status >= 500) {
    return { code: 'model_unavailable', message: answered, retryable: true, status, ...withRetryAfter };
  }
  return { code: 'model_rejected', message: answered, retryable: false, status };
}

/**
 * Reads `retry-after-ms` (OpenAI) or `Retry-After` (seconds or an HTTP date) as milliseconds from now.
 * `undefined` when absent or unreadable.
 */
export function parseRetryAfter(
  headers: Record<string, string> | undefined,
  now: number,
): number | undefined {
  if (!headers) return undefined;
  const lower = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const milliseconds = lower['retry-after-ms']?.trim();
  if (milliseconds !== undefined && /^\d+(\.\d+)?$/.test(milliseconds))
    return Math.ceil(Number(milliseconds));
  const value = lower['retry-after']?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The Anthropic adapter throws a plain `Error` when the first event of a stream cannot be parsed; the
 * message is the only mark it carries.
 */
function isUnparsableStreamStart(error: unknown): boolean {
  return error instanceof Error && /normalized \w+ stream error/i.test(error.message);
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

const connectionCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** Node's fetch reports network failures as `TypeError` ("fetch failed", "terminated") with a coded cause. */
function isConnectionError(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth += 1) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && connectionCodes.has(code)) return true;
    if (current instanceof TypeError && /fetch failed|terminated|socket|network/i.test(current.message))
      return true;
    current = current.cause;
  }
  return false;
}

/** The thrown form of a failure, for callers that throw (`llm_generate`, embeddings). */
export function modelFailureError(failure: ModelFailure, attempts: number): AutonomaError {
  const status = failure.code === 'rate_limited' ? 429 : failure.code === 'model_timeout' ? 504 : 502;
  return new AutonomaError(failure.code, failure.message, {
    category:
      failure.code === 'model_unavailable' || failure.code === 'model_timeout' ? 'dependency' : 'model',
    status,
    details: {
      attempts,
      ...(failure.status === undefined ? {} : { providerStatus: failure.status }),
    },
  });
}
