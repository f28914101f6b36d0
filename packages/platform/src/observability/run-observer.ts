/**
 * Observes the runs this process advances: metrics, spans and log lines, all derived from what the loop
 * already does — the events it commits (`step-end`, `tool-call-end` with its latency, `model-call-end`
 * with usage and cost, `run-end`), the brain it asks and the tools it calls. The run service calls it
 * (`RunServiceDeps.observe`); nothing in the loop knows it exists, and it never throws into a run.
 */
import { performance } from 'node:perf_hooks';
import type {
  AdvanceRunResult,
  Agent,
  Brain,
  EventOf,
  EventSink,
  Lease,
  Run,
  RunEvent,
  ToolHost,
} from '@autonoma/core';
import type { Logger } from './logger.ts';
import type { ToolCallOutcome } from './gauges.ts';
import type { Metrics } from './metrics.ts';
import type { SliceTrace } from './run-tracing.ts';
import { traceSlice } from './run-tracing.ts';
import type { NewRunTrace, Tracing } from './tracing.ts';
import { newRunTraceCarrier } from './tracing.ts';

/** One slice being observed: wraps its brain and tools, sees its events, and is told how it ended. */
export interface SliceObserver {
  brain(brain: Brain): Brain;
  tools(host: ToolHost): ToolHost;
  /** Receives every event of the slice (stored ones after their commit). */
  readonly sink: EventSink;
  end(outcome: { result: AdvanceRunResult } | { error: unknown }): void;
}

/** What the run service reports about the runs it advances. */
export interface RunObserver {
  /** This process took `run`'s lease and is about to advance it by a slice. */
  slice(run: Run, agent: Agent): SliceObserver;
  /** A run's end is written outside a slice (cancelled, abandoned, or left unfinalized by a dead process). */
  finalize(run: Run, agent: Agent): EventSink;
  /** A lease renewal was refused: another process may now hold the run. */
  leaseLost(lease: Lease): void;
  /** A step commit of `run` was refused by its lease's fencing epoch. */
  fencedCommit(run: Run): void;
  /**
   * The W3C trace context of the code running now (a request's span, a job's), written into a job it
   * enqueues for a run stored without a trace of its own; `undefined` without tracing or a span.
   */
  traceContext(): Record<string, string> | undefined;
  /**
   * The W3C trace context a run created now is stored with (`NewRun.trace`), which every job of the run
   * continues: the active span's (a request's, a job's), or — with tracing on and no span active (a CLI
   * command, a sweeper or scheduler tick) — that of a `create_run` root span made for it. `undefined`
   * without tracing.
   */
  runTraceContext(run: NewRunTrace): Record<string, string> | undefined;
}

/** Options of {@link createRunObserver}; each part is optional. */
export interface RunObserverOptions {
  metrics?: Metrics;
  tracing?: Tracing;
  logger?: Logger;
}

/** Codes of calls the loop refused before running them. */
const refusedCodes = new Set([
  'tool_not_allowed',
  'invalid_arguments',
  'loop_detected',
  'delegation_too_deep',
  'too_many_children',
]);

/** The `outcome` label of a finished tool call. */
export function toolCallOutcome(event: EventOf<'tool-call-end'>): ToolCallOutcome {
  if (event.ok) return 'ok';
  const code = event.error?.code ?? '';
  if (code === 'tool_timeout') return 'timeout';
  if (code === 'aborted') return 'aborted';
  return refusedCodes.has(code) ? 'refused' : 'error';
}

const identity = <T>(value: T): T => value;

/** Builds the observer; `undefined` when there is nothing to observe with. */
export function createRunObserver(options: RunObserverOptions): RunObserver | undefined {
  const { metrics, tracing } = options;
  const logger = options.logger?.isLevelEnabled('warn') ? options.logger : undefined;
  if (!metrics && !tracing && !logger) return undefined;

  // Every line about a run carries its id and organization (as `runLogger` in logger.ts does; that
  // module is not imported here, so that a process without logs never loads pino).
  const logOf = (run: Run): Logger | undefined => logger?.child({ runId: run.id, orgId: run.orgId });

  /** What every run event means for metrics and logs (spans are the slice trace's). */
  const observe = (event: RunEvent, run: Run, agent: Agent, log: Logger | undefined): void => {
    switch (event.type) {
      case 'tool-call-end':
        // A result recovered from the journal ran in an earlier slice, and was counted there.
        if (!event.fromJournal) metrics?.toolCall(event.tool, toolCallOutcome(event), event.latencyMs);
        if (!event.ok)
          log?.warn(
            { step: event.step, tool: event.tool, callId: event.callId, code: event.error?.code },
            'tool call failed',
          );
        break;
      case 'model-call-end':
        metrics?.modelCall(
          event.model,
          event.error ? 'error' : 'ok',
          { input: event.usage.inputTokens, output: event.usage.outputTokens },
          event.costUsd,
        );
        if (event.error)
          log?.warn({ step: event.step, model: event.model, code: event.error.code }, 'model call failed');
        break;
      case 'error':
        log?.warn({ step: event.step, code: event.code, message: event.message }, 'run error');
        break;
      case 'run-end': {
        const durationMs = Math.max(0, event.at - run.createdAt);
        metrics?.runEnded({ status: event.status, agent: agent.name, durationMs });
        log?.info(
          {
            agent: agent.name,
            status: event.status,
            durationMs,
            steps: event.usage.steps,
            inputTokens: event.usage.inputTokens,
            outputTokens: event.usage.outputTokens,
            costUsd: event.usage.costUsd,
          },
          'run ended',
        );
        break;
      }
      default:
        break;
    }
  };

  return {
    slice(run, agent) {
      const log = logOf(run);
      let trace: SliceTrace | undefined;
      try {
        trace = tracing ? traceSlice(tracing, run, agent) : undefined;
      } catch (error) {
        log?.warn({ err: error }, 'could not start the slice span');
      }
      let stepStarted = performance.now();
      log?.debug({ agent: agent.name, fromStep: run.stepCount + 1 }, 'slice started');
      return {
        brain: trace ? trace.brain : identity,
        tools: trace ? trace.tools : identity,
        sink: (event) => {
          try {
            if (event.type === 'step-end') {
              const now = performance.now();
              metrics?.stepCommitted(now - stepStarted);
              log?.debug(
                {
                  step: event.step,
                  outcome: event.outcome.kind,
                  status: event.status,
                  ms: now - stepStarted,
                },
                'step committed',
              );
              stepStarted = now;
            } else if (event.type !== 'text-delta') observe(event, run, agent, log);
            trace?.event(event);
          } catch (error) {
            // Observing must never break a run.
            log?.warn({ err: error }, 'could not observe a run event');
          }
        },
        end: (outcome) => {
          try {
            if ('error' in outcome) {
              trace?.end({ error: outcome.error });
              log?.debug({ err: outcome.error }, 'slice failed');
            } else {
              const { run: after, end } = outcome.result;
              trace?.end({ end, status: after.status, stepCount: after.stepCount });
              log?.debug(
                { end, status: after.status, steps: after.stepCount - run.stepCount },
                'slice ended',
              );
            }
          } catch (error) {
            log?.warn({ err: error }, 'could not end the slice span');
          }
        },
      };
    },
    finalize(run, agent) {
      const log = logOf(run);
      return (event) => {
        try {
          if (event.type !== 'text-delta') observe(event, run, agent, log);
        } catch (error) {
          log?.warn({ err: error }, 'could not observe a run event');
        }
      };
    },
    leaseLost(lease) {
      metrics?.leaseLost();
      logger?.warn({ runId: lease.runId, orgId: lease.orgId, epoch: lease.epoch }, 'run lease lost');
    },
    traceContext() {
      if (!tracing) return undefined;
      const carrier = tracing.inject();
      return Object.keys(carrier).length > 0 ? carrier : undefined;
    },
    runTraceContext(run) {
      if (!tracing) return undefined;
      try {
        return newRunTraceCarrier(tracing, run);
      } catch (error) {
        // Tracing must never stop a run from being created.
        logger?.warn({ err: error, runId: run.id }, 'could not make the trace context of a new run');
        return undefined;
      }
    },
    fencedCommit(run) {
      metrics?.fencedCommit();
      logOf(run)?.warn(
        { holder: run.leaseOwner },
        'step commit refused: the lease passed to another process',
      );
    },
  };
}
