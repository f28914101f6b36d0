import {
  randomIds,
  systemClock,
  type Brain,
  type BrainContext,
  type BrainDecision,
  type Clock,
  type IdGenerator,
  type ProposedCall,
} from '@autonoma/core';
import { streamText, type LanguageModel } from 'ai';
import { modelDecisionEvent, readToolStats, type ToolStatsSource } from './model-decision.ts';
import { classifyModelError, type ModelFailure } from './model-errors.ts';
import { buildModelPrompt, type ModelPrompt } from './model-prompt.ts';
import { createLanguageModel, type TransportOptions } from './model-provider.ts';
import { modelName, type ModelSettings } from './model-settings.ts';
import { priceCall, type TokenCounts } from './pricing.ts';
import { attemptSignal, defaultRetryTiming, retryDelay, type RetryPolicy } from './retry-policy.ts';

/** Options of {@link createModelBrain}; all of them exist for tests and tuning. */
export interface ModelBrainOptions extends TransportOptions {
  /** Measures latency and sleeps between retries. @default systemClock */
  clock?: Clock;
  /** Ids of model calls (`mcall_…`). @default randomIds */
  ids?: IdGenerator;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
  /** @default 500 */
  baseDelayMs?: number;
  /** @default 60000 */
  maxDelayMs?: number;
  /**
   * The learning statistics of the run's agent for goals like the run's: each step's `decision` event
   * scores the offered tools with them. Without it the scores are recorded as absent.
   */
  stats?: ToolStatsSource;
}

export { createEmbedder, createModelCaller } from './model-caller.ts';

/** What one attempt produced. */
interface AttemptResult {
  text: string;
  calls: ProposedCall[];
  usage: TokenCounts;
  finishReason: string | undefined;
  error: ModelFailure | undefined;
}

/**
 * A brain that asks a model through the Vercel AI SDK. One `decide` is one model call (plus retries):
 * the model either calls tools (`act`) or answers (`finish`), and the step records one `decision`
 * (model-decision.ts). Provider failures never throw out of `decide`: they become a failed `finish`
 * and a `model-call-end` carrying the error.
 */
export function createModelBrain(settings: ModelSettings, options: ModelBrainOptions = {}): Brain {
  const name = modelName(settings);
  const model = createLanguageModel(settings, options);
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const secrets = settings.apiKey === undefined ? [] : [settings.apiKey];
  const policy: RetryPolicy = {
    maxRetries: settings.maxRetries,
    baseDelayMs: options.baseDelayMs ?? defaultRetryTiming.baseDelayMs,
    maxDelayMs: options.maxDelayMs ?? defaultRetryTiming.maxDelayMs,
    random: options.random ?? Math.random,
  };

  /**
   * One step: the model call (with retries), then the step's `decision` event — once per step,
   * whatever the number of attempts.
   */
  async function decide(context: BrainContext): Promise<BrainDecision> {
    // Read beside the model call (it never rejects: a store error leaves the scores absent).
    const learned = readToolStats(options.stats, context);
    const { decision, text } = await callModel(context);
    context.emit(modelDecisionEvent(context, { decision, text }, await learned));
    return decision;
  }

  async function callModel(context: BrainContext): Promise<{ decision: BrainDecision; text: string }> {
    const prompt = buildModelPrompt(context);
    for (let attempt = 1; ; attempt += 1) {
      const callId = ids.next('mcall');
      context.emit({ type: 'model-call-start', step: context.step, callId, model: name });
      const started = clock.now();
      const result = await attemptCall(model, prompt, context, settings.timeoutMs, secrets, clock);
      const failure = result.error ?? judgeAnswer(result);
      const delay = failure === undefined ? undefined : retryDelay(failure, attempt, policy);
      const { costUsd } = priceCall(settings, result.usage, settings.prices);
      context.emit({
        type: 'model-call-end',
        step: context.step,
        callId,
        model: name,
        usage: result.usage,
        costUsd,
        latencyMs: Math.max(0, clock.now() - started),
        ...(result.finishReason === undefined ? {} : { finishReason: result.finishReason }),
        ...(result.text === '' ? {} : { text: result.text }),
        ...(failure === undefined
          ? {}
          : { error: { code: failure.code, message: describeAttempt(failure, attempt, policy, delay) } }),
      });
      if (failure === undefined) return { decision: decisionOf(result), text: result.text };
      if (delay === undefined) return { decision: failedDecision(failure, attempt), text: '' };
      try {
        await clock.sleep(delay, context.signal);
      } catch {
        const cancelled: ModelFailure = {
          code: 'model_cancelled',
          message: 'the run was cancelled',
          retryable: false,
        };
        return { decision: failedDecision(cancelled, attempt), text: '' };
      }
    }
  }

  return { name, decide };
}

async function attemptCall(
  model: LanguageModel,
  prompt: ModelPrompt,
  context: BrainContext,
  timeoutMs: number,
  secrets: readonly string[],
  clock: Clock,
): Promise<AttemptResult> {
  const attempt = attemptSignal(timeoutMs, context.signal);
  const result: AttemptResult = {
    text: '',
    calls: [],
    usage: { inputTokens: 0, outputTokens: 0 },
    finishReason: undefined,
    error: undefined,
  };
  let thrown: unknown;
  let failed = false;
  const fail = (error: unknown): void => {
    if (failed) return;
    failed = true;
    thrown = error;
  };
  try {
    const stream = streamText({
      model,
      instructions: prompt.instructions,
      messages: prompt.messages,
      tools: prompt.tools,
      // Retries are ours, so that Retry-After is honoured and every attempt is observable.
      maxRetries: 0,
      abortSignal: attempt.signal,
      onError: ({ error }) => fail(error),
    });
    for await (const part of stream.stream) {
      switch (part.type) {
        case 'text-delta':
          if (part.text === '') break;
          result.text += part.text;
          context.emit({ type: 'text-delta', step: context.step, delta: part.text });
          break;
        case 'tool-call':
          result.calls.push({ tool: part.toolName, args: part.input, providerCallId: part.toolCallId });
          break;
        case 'finish-step':
          result.usage = {
            inputTokens: part.usage.inputTokens ?? 0,
            outputTokens: part.usage.outputTokens ?? 0,
          };
          result.finishReason = part.finishReason;
          break;
        case 'error':
          fail(part.error);
          break;
        case 'abort':
          fail(attempt.signal.reason);
          break;
        default:
          break;
      }
    }
  } catch (error) {
    fail(error);
  }
  if (!failed && attempt.signal.aborted && result.finishReason === undefined) fail(attempt.signal.reason);
  if (failed) {
    result.error = classifyModelError(thrown, {
      timedOut: attempt.timedOut(),
      cancelled: attempt.cancelled(),
      timeoutMs,
      now: clock.now(),
      secrets,
    });
  }
  return result;
}

/** A complete answer that still cannot be used. */
function judgeAnswer(result: AttemptResult): ModelFailure | undefined {
  if (result.calls.length > 0) return undefined;
  if (result.finishReason === 'content-filter') {
    return { code: 'model_refused', message: 'the provider filtered the model answer', retryable: false };
  }
  if (result.finishReason === 'error') {
    return {
      code: 'model_error',
      message: 'the provider reported an error finishing the answer',
      retryable: true,
    };
  }
  if (result.text.trim() === '') {
    return {
      code: 'model_malformed',
      message: 'the model answered with neither text nor a tool call',
      retryable: false,
    };
  }
  return undefined;
}

function decisionOf(result: AttemptResult): BrainDecision {
  if (result.calls.length > 0) {
    return { kind: 'act', calls: result.calls, ...(result.text.trim() === '' ? {} : { text: result.text }) };
  }
  return { kind: 'finish', status: 'succeeded', answer: result.text };
}

function failedDecision(failure: ModelFailure, attempts: number): BrainDecision {
  const after = attempts > 1 ? ` (after ${attempts} attempts)` : '';
  return {
    kind: 'finish',
    status: 'failed',
    answer: `Model call failed [${failure.code}]${after}: ${failure.message}`,
  };
}

function describeAttempt(
  failure: ModelFailure,
  attempt: number,
  policy: RetryPolicy,
  delay: number | undefined,
): string {
  const of = `attempt ${attempt} of ${policy.maxRetries + 1}`;
  if (delay !== undefined) {
    const source = failure.retryAfterMs === undefined ? 'backoff' : 'Retry-After';
    return `${failure.message} (${of}; retrying in ${delay} ms per ${source})`;
  }
  if (failure.retryAfterMs !== undefined && failure.retryAfterMs > policy.maxDelayMs) {
    return `${failure.message} (${of}; Retry-After of ${failure.retryAfterMs} ms exceeds the ${policy.maxDelayMs} ms limit)`;
  }
  return failure.retryable && attempt > policy.maxRetries
    ? `${failure.message} (${of}; no retries left)`
    : failure.message;
}
