/**
 * The spans of one run slice: `invoke_agent <agent>` for the slice (a child of whatever span is active
 * when the slice starts — the job's, or the request's), one `step` span per step, and under each step
 * its model calls (`chat <model>`, GenAI semantic conventions) and tool calls (`execute_tool <tool>`).
 *
 * Model and tool spans are timed for real: the brain is wrapped so that the `model-call-start` and
 * `model-call-end` it emits mark a call's start and end, and every tool's `execute` is wrapped. A step
 * starts where the previous step committed (or the slice started) and ends at its own commit.
 *
 * Off the step's path: during a step only its times and attributes are noted (plain objects); its
 * spans — the step and its calls, with those times — are made and ended once it committed, in a
 * callback of their own after the work in progress (`Tracing.defer`: typically while the loop waits
 * for the store), so the SDK's work per span (ids, attribute checks, the batch) is not paid inside the
 * step. A slice whose span the sampler dropped notes nothing at all: under the standard samplers its
 * children would be dropped too (parent-based ones follow it; a trace-id ratio decides the same way for
 * the whole trace).
 *
 * Attributes are chosen, never copied: ids, names, counts, outcomes, error codes. No tool argument,
 * result, prompt, answer or error message is recorded, so no secret can reach a span. They are also
 * few (a worker makes three spans a step): what a parent span says — the run on the slice, the step
 * number on the step — is not repeated on its children.
 */
import { performance } from 'node:perf_hooks';
import type { Agent, AnyTool, Brain, RunEvent, Run, ToolHost, ToolContext } from '@autonoma/core';
import type { Attributes, Span, SpanKind } from '@opentelemetry/api';
import type { Tracing } from './tracing.ts';
import { errorType } from './tracing.ts';

/** How a slice ended, as the run service reports it. */
export type SliceEnding = { end: string; status: string; stepCount: number } | { error: unknown };

/** The tracing side of one slice. */
export interface SliceTrace {
  brain(brain: Brain): Brain;
  tools(host: ToolHost): ToolHost;
  /** Every event the slice commits (and streams), in order. */
  event(event: RunEvent): void;
  end(ending: SliceEnding): void;
}

/** `<provider>:<model>` → its GenAI provider and model attributes. */
export function modelAttributes(name: string): Attributes {
  const colon = name.indexOf(':');
  return colon < 0
    ? { 'gen_ai.request.model': name }
    : { 'gen_ai.provider.name': name.slice(0, colon), 'gen_ai.request.model': name.slice(colon + 1) };
}

const wallClock = (): number => performance.timeOrigin + performance.now();

/** A span noted during a step, made when the step committed. */
interface NotedSpan {
  name: string;
  kind: SpanKind;
  /** Wall-clock ms. */
  start: number;
  end?: number;
  attributes: Attributes;
  /** `error.type` of a failed call (its span's status is then ERROR). */
  error?: string;
}

/** The step in progress: its start and the calls noted so far. */
interface NotedStep {
  start: number;
  /** The brain was asked, or a tool called, in it. */
  started: boolean;
  calls: NotedSpan[];
}

const identity = <T>(value: T): T => value;

/** Starts the spans of a slice of `run` advanced for `agent`. */
export function traceSlice(tracing: Tracing, run: Run, agent: Agent): SliceTrace {
  const { api, tracer } = tracing;
  const parent = tracing.active();
  const sliceSpan = tracer.startSpan(
    `invoke_agent ${agent.name}`,
    {
      kind: api.SpanKind.INTERNAL,
      attributes: {
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.agent.name': agent.name,
        'gen_ai.agent.id': agent.id,
        'autonoma.run.id': run.id,
        'autonoma.org.id': run.orgId,
        'autonoma.run.depth': run.depth,
        'autonoma.slice.first_step': run.stepCount + 1,
      },
    },
    parent,
  );
  if (!sliceSpan.isRecording()) {
    // Not sampled: nothing under it would be either. The context still reaches the run's jobs.
    return { brain: identity, tools: identity, event: () => undefined, end: () => sliceSpan.end() };
  }
  const sliceContext = api.trace.setSpan(parent, sliceSpan);
  let step: NotedStep = { start: wallClock(), started: false, calls: [] };

  const failed = (span: Span, type: string): void => {
    span.setAttribute('error.type', type);
    span.setStatus({ code: api.SpanStatusCode.ERROR });
  };

  /** Makes and ends a step's spans (after the fact, with the times noted). */
  const make = (noted: NotedStep, end: number, attributes: Attributes, error?: string): void => {
    const stepSpan = tracer.startSpan(
      'step',
      { kind: api.SpanKind.INTERNAL, startTime: noted.start, attributes },
      sliceContext,
    );
    const stepContext = api.trace.setSpan(sliceContext, stepSpan);
    for (const call of noted.calls) {
      const span = tracer.startSpan(
        call.name,
        { kind: call.kind, startTime: call.start, attributes: call.attributes },
        stepContext,
      );
      if (call.error !== undefined) failed(span, call.error);
      span.end(call.end ?? end);
    }
    if (error !== undefined) failed(stepSpan, error);
    stepSpan.end(end);
  };

  const tracedBrain = (inner: Brain): Brain => ({
    name: inner.name,
    decide: async (context) => {
      const open = new Map<string, NotedSpan>();
      step.started = true;
      const { calls } = step;
      const emit: typeof context.emit = (event) => {
        if (event.type === 'model-call-start') {
          const model = modelAttributes(event.model);
          const call: NotedSpan = {
            name: `chat ${String(model['gen_ai.request.model'])}`,
            kind: api.SpanKind.CLIENT,
            start: wallClock(),
            attributes: { 'gen_ai.operation.name': 'chat', ...model },
          };
          calls.push(call);
          open.set(event.callId, call);
        } else if (event.type === 'model-call-end') {
          const call = open.get(event.callId);
          open.delete(event.callId);
          if (call) {
            call.end = wallClock();
            Object.assign(call.attributes, {
              'gen_ai.usage.input_tokens': event.usage.inputTokens,
              'gen_ai.usage.output_tokens': event.usage.outputTokens,
              'autonoma.model.cost_usd': event.costUsd,
              ...(event.finishReason ? { 'gen_ai.response.finish_reasons': [event.finishReason] } : {}),
            });
            if (event.error) call.error = event.error.code;
          }
        }
        context.emit(event);
      };
      try {
        return await inner.decide({ ...context, emit });
      } finally {
        // A call the brain never reported the end of (it threw): closed as failed.
        for (const call of open.values()) {
          call.end = wallClock();
          call.error = 'incomplete';
        }
      }
    },
  });

  const tracedTool = (tool: AnyTool): AnyTool => ({
    ...tool,
    execute: async (input: never, context: ToolContext) => {
      const call: NotedSpan = {
        name: `execute_tool ${tool.name}`,
        kind: api.SpanKind.INTERNAL,
        start: wallClock(),
        attributes: {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': tool.name,
          'gen_ai.tool.type': 'function',
          'gen_ai.tool.call.id': context.callId,
        },
      };
      step.started = true;
      step.calls.push(call);
      try {
        const result = await tool.execute(input, context);
        call.attributes['autonoma.tool.outcome'] = 'ok';
        return result;
      } catch (error) {
        call.attributes['autonoma.tool.outcome'] = 'error';
        call.error = errorType(error);
        throw error;
      } finally {
        call.end = wallClock();
      }
    },
  });

  const tracedTools = (host: ToolHost): ToolHost => {
    const wrapped = new Map<AnyTool, AnyTool>();
    const wrap = (tool: AnyTool): AnyTool => {
      let traced = wrapped.get(tool);
      if (!traced) {
        traced = tracedTool(tool);
        wrapped.set(tool, traced);
      }
      return traced;
    };
    return {
      list: () => host.list().map(wrap),
      get: (name) => {
        const tool = host.get(name);
        return tool && wrap(tool);
      },
    };
  };

  return {
    brain: tracedBrain,
    tools: tracedTools,
    event: (event) => {
      if (event.type === 'step-end') {
        const now = wallClock();
        const committed = step;
        step = { start: now, started: false, calls: [] };
        const attributes: Attributes = {
          'autonoma.step': event.step,
          'autonoma.step.outcome': event.outcome.kind,
        };
        // The run's status only where the step changed it (most steps leave it running).
        if (event.status !== 'running') attributes['autonoma.run.status'] = event.status;
        tracing.defer(() => make(committed, now, attributes));
      } else if (event.type === 'run-end') {
        sliceSpan.setAttributes({
          'autonoma.run.final_status': event.status,
          'gen_ai.usage.input_tokens': event.usage.inputTokens,
          'gen_ai.usage.output_tokens': event.usage.outputTokens,
        });
      }
    },
    end: (ending) => {
      if (step.started) {
        // A step that never committed (the slice failed or was fenced in it).
        const unfinished = step;
        const now = wallClock();
        const error = 'error' in ending ? errorType(ending.error) : 'not_committed';
        tracing.defer(() => make(unfinished, now, {}, error));
      }
      if ('error' in ending) failed(sliceSpan, errorType(ending.error));
      else
        sliceSpan.setAttributes({
          'autonoma.slice.end': ending.end,
          'autonoma.run.status': ending.status,
          'autonoma.slice.last_step': ending.stepCount,
        });
      sliceSpan.end();
    },
  };
}
