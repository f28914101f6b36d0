/**
 * The spans of one run slice: `invoke_agent <agent>` for the slice (a child of whatever span is active
 * when the slice starts — the job's, or the request's), one `step` span per step, and under each step
 * its model calls (`chat <model>`, GenAI semantic conventions) and tool calls (`execute_tool <tool>`).
 *
 * Model and tool spans are timed for real: the brain is wrapped so that the `model-call-start` and
 * `model-call-end` it emits open and close a span, and every tool's `execute` is wrapped. A step span
 * starts where the previous step committed (or the slice started) and ends at its own commit.
 *
 * Attributes are chosen, never copied: ids, names, counts, outcomes, error codes. No tool argument,
 * result, prompt, answer or error message is recorded, so no secret can reach a span.
 */
import { performance } from 'node:perf_hooks';
import type { Agent, AnyTool, Brain, RunEvent, Run, ToolHost, ToolContext } from '@autonoma/core';
import type { Attributes, Context, Span } from '@opentelemetry/api';
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
  const sliceContext = api.trace.setSpan(parent, sliceSpan);
  let stepStart = wallClock();
  let stepSpan: Span | undefined;

  /** The current step's context, its span started (at the previous commit) on first use. */
  const stepContext = (): Context => {
    stepSpan ??= tracer.startSpan(
      'step',
      { kind: api.SpanKind.INTERNAL, startTime: stepStart, attributes: { 'autonoma.run.id': run.id } },
      sliceContext,
    );
    return api.trace.setSpan(sliceContext, stepSpan);
  };

  const failed = (span: Span, type: string): void => {
    span.setAttribute('error.type', type);
    span.setStatus({ code: api.SpanStatusCode.ERROR });
  };

  const tracedBrain = (inner: Brain): Brain => ({
    name: inner.name,
    decide: async (context) => {
      const open = new Map<string, Span>();
      const parentContext = stepContext();
      const emit: typeof context.emit = (event) => {
        if (event.type === 'model-call-start') {
          open.set(
            event.callId,
            tracer.startSpan(
              `chat ${String(modelAttributes(event.model)['gen_ai.request.model'])}`,
              {
                kind: api.SpanKind.CLIENT,
                attributes: {
                  'gen_ai.operation.name': 'chat',
                  ...modelAttributes(event.model),
                  'autonoma.step': event.step,
                },
              },
              parentContext,
            ),
          );
        } else if (event.type === 'model-call-end') {
          const span = open.get(event.callId);
          open.delete(event.callId);
          if (span) {
            span.setAttributes({
              'gen_ai.usage.input_tokens': event.usage.inputTokens,
              'gen_ai.usage.output_tokens': event.usage.outputTokens,
              'autonoma.model.cost_usd': event.costUsd,
              ...(event.finishReason ? { 'gen_ai.response.finish_reasons': [event.finishReason] } : {}),
            });
            if (event.error) failed(span, event.error.code);
            span.end();
          }
        }
        context.emit(event);
      };
      try {
        return await tracing.with(parentContext, () => inner.decide({ ...context, emit }));
      } finally {
        // A call the brain never reported the end of (it threw): closed as failed.
        for (const span of open.values()) {
          failed(span, 'incomplete');
          span.end();
        }
      }
    },
  });

  const tracedTool = (tool: AnyTool): AnyTool => ({
    ...tool,
    execute: async (input: never, context: ToolContext) => {
      const parentContext = stepContext();
      const span = tracer.startSpan(
        `execute_tool ${tool.name}`,
        {
          kind: api.SpanKind.INTERNAL,
          attributes: {
            'gen_ai.operation.name': 'execute_tool',
            'gen_ai.tool.name': tool.name,
            'gen_ai.tool.type': 'function',
            'gen_ai.tool.call.id': context.callId,
            'autonoma.tool.idempotent': tool.idempotent,
            'autonoma.tool.risk': tool.risk,
          },
        },
        parentContext,
      );
      try {
        const result = await tracing.with(api.trace.setSpan(parentContext, span), () =>
          tool.execute(input, context),
        );
        span.setAttribute('autonoma.tool.outcome', 'ok');
        return result;
      } catch (error) {
        span.setAttribute('autonoma.tool.outcome', 'error');
        failed(span, errorType(error));
        throw error;
      } finally {
        span.end();
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
        stepContext();
        const now = wallClock();
        stepSpan?.setAttributes({
          'autonoma.step': event.step,
          'autonoma.step.outcome': event.outcome.kind,
          'autonoma.run.status': event.status,
        });
        stepSpan?.end(now);
        stepSpan = undefined;
        stepStart = now;
      } else if (event.type === 'run-end') {
        sliceSpan.setAttributes({
          'autonoma.run.final_status': event.status,
          'gen_ai.usage.input_tokens': event.usage.inputTokens,
          'gen_ai.usage.output_tokens': event.usage.outputTokens,
        });
      }
    },
    end: (ending) => {
      if (stepSpan) {
        // A step that never committed (the slice failed or was fenced in it).
        failed(stepSpan, 'error' in ending ? errorType(ending.error) : 'not_committed');
        stepSpan.end();
        stepSpan = undefined;
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
