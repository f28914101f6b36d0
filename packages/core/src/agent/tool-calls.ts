import { z } from 'zod';
import type { ProposedCall } from '../brains/brain.ts';
import { describeError } from '../errors.ts';
import type { ToolCallCompletion, ToolCallRecord } from '../ports/run-store.ts';
import type { Agent } from '../protocol/agent.ts';
import type { ErrorValue, EventPayload } from '../protocol/events.ts';
import type { Lease, Run } from '../protocol/run.ts';
import { storableValue } from '../protocol/storable.ts';
import type { AnyTool, ToolContext, ToolOutcome } from '../tools/define-tool.ts';
import { ToolError } from '../tools/define-tool.ts';
import { needsApproval } from '../tools/registry.ts';
import type { AgentRuntime } from './runtime.ts';
import type { StepControl } from './control.ts';
import { controlOf } from './control.ts';
import { boundValue, hashArgs } from './stable-json.ts';

/** A proposed call after the server-side checks. */
export type PreparedCall =
  | { kind: 'refused'; key: string; tool: string; args: unknown; error: ErrorValue; audit: boolean }
  | { kind: 'needs-approval'; key: string; tool: AnyTool; args: unknown }
  | { kind: 'ready'; key: string; tool: AnyTool; args: unknown };

/** The idempotency key of a call: `runId:stepSeq:callIndex` (ARCHITECTURE §5). */
export const callKey = (runId: string, step: number, index: number): string => `${runId}:${step}:${index}`;

/** What {@link prepareToolCall} checks a proposed call against. */
export interface CallCheck {
  key: string;
  allowed: ReadonlyMap<string, AnyTool>;
  agent: Agent;
  /** Identical calls made right before this one. */
  repeats: number;
  loopGuardLimit: number;
}

/**
 * Checks a proposed call: the agent's allowlist (whatever the brain asked), the tool's input schema,
 * the loop guard and the approval policy.
 */
export function prepareToolCall(call: ProposedCall, check: CallCheck): PreparedCall {
  const { key, allowed, agent, repeats, loopGuardLimit } = check;
  const tool = allowed.get(call.tool);
  if (!tool) {
    const message = `tool '${call.tool}' is not allowed for agent '${agent.name}'; allowed: ${[...allowed.keys()].join(', ') || 'none'}`;
    return {
      kind: 'refused',
      key,
      tool: call.tool,
      args: call.args,
      error: { code: 'tool_not_allowed', message },
      audit: true,
    };
  }
  const parsed = tool.input.safeParse(call.args);
  if (!parsed.success) {
    const message = `invalid arguments for ${tool.name}: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`;
    return {
      kind: 'refused',
      key,
      tool: tool.name,
      args: call.args,
      error: { code: 'invalid_arguments', message },
      audit: false,
    };
  }
  if (repeats >= loopGuardLimit) {
    const message = `loop guard: ${tool.name} was called with identical arguments ${repeats} times in a row; its result will not change — try something else or finish`;
    return {
      kind: 'refused',
      key,
      tool: tool.name,
      args: call.args,
      error: { code: 'loop_detected', message },
      audit: false,
    };
  }
  if (needsApproval(agent.approval, tool)) return { kind: 'needs-approval', key, tool, args: parsed.data };
  return { kind: 'ready', key, tool, args: parsed.data };
}

/** The loop guard's state, persisted with the run's context. */
export interface GuardState {
  last: string;
  count: number;
}

/** Records a call in the guard; returns the new state and how many identical calls came right before. */
export function observeCall(
  guard: GuardState,
  tool: string,
  args: unknown,
): { guard: GuardState; repeats: number } {
  const signature = `${tool}:${hashArgs(args)}`;
  const repeats = signature === guard.last ? guard.count : 0;
  return { guard: { last: signature, count: repeats + 1 }, repeats };
}

/** What executing (or recovering) one call produced for the step. */
export interface CallResult {
  events: EventPayload[];
  completion: ToolCallCompletion | undefined;
  outcome: ToolOutcome;
  latencyMs: number;
  executed: boolean;
  /** The call asked the loop to end the step (a question, children, a sleep). */
  control?: StepControl;
  /** The step must end `needs_review` for this reason (e.g. a key reused with other arguments). */
  review?: string;
}

/** Runs a tool with its time limit and the run's abort signal; failures become error values. */
async function invokeTool(
  tool: AnyTool,
  args: unknown,
  context: Omit<ToolContext, 'signal'>,
  signal: AbortSignal,
): Promise<ToolOutcome> {
  const timeoutMs = tool.timeoutMs ?? 60_000;
  // One controller per call, aborted by a cleared timer or by the run's signal through a listener that
  // is removed when the call ends. (AbortSignal.timeout would keep every call's signal alive for the
  // whole timeout; AbortSignal.any registers weak references on the run's signal that only a GC clears.
  // Both add up over thousands of concurrent runs.)
  const controller = new AbortController();
  let timedOut = false;
  let stop: (reason: unknown) => void = () => undefined;
  const stopped = new Promise<never>((_, reject) => {
    stop = reject;
  });
  const abort = (reason: unknown): void => {
    controller.abort(reason);
    stop(reason);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    abort(new Error('tool timeout'));
  }, timeoutMs);
  const forward = (): void => abort(signal.reason);
  if (signal.aborted) forward();
  else signal.addEventListener('abort', forward, { once: true });
  try {
    const value = await Promise.race([
      tool.execute(args as never, { ...context, signal: controller.signal }),
      stopped,
    ]);
    return { ok: true, value };
  } catch (error) {
    if (signal.aborted)
      return {
        ok: false,
        error: { code: 'aborted', message: `${tool.name} was aborted: the run was cancelled` },
      };
    if (timedOut) {
      return {
        ok: false,
        error: { code: 'tool_timeout', message: `${tool.name} did not finish within ${timeoutMs} ms` },
      };
    }
    const code = error instanceof ToolError ? error.code : 'tool_failed';
    return { ok: false, error: { code, message: `${tool.name}: ${describeError(error)}` } };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', forward);
  }
}

/** One call to execute (or to finish, when it was journalled before a crash). */
export interface CallToExecute {
  key: string;
  index: number;
  tool: AnyTool;
  args: unknown;
  /** The journal record, when the call is being recovered. */
  record?: ToolCallRecord;
  /** Record the completion before the step commits (see below). */
  recordEarly: boolean;
}

/** Everything {@link executeCall} needs besides the call. */
export interface CallSetting {
  runtime: AgentRuntime;
  run: Run;
  agent: Agent;
  lease: Lease;
  step: number;
  signal: AbortSignal;
  resultMaxChars: number;
}

/**
 * Journals a call, runs it, and returns its events and completion. Completed calls are never re-run;
 * a key already journalled with other arguments is not run either (the step goes to review).
 */
export async function executeCall(setting: CallSetting, call: CallToExecute): Promise<CallResult> {
  const { runtime, run, agent, lease, step, signal, resultMaxChars } = setting;
  const { clock } = runtime;
  const start: EventPayload = {
    type: 'tool-call-start',
    step,
    callId: call.key,
    tool: call.tool.name,
    args: call.args,
  };
  let record = call.record;
  if (!record) {
    const begun = await runtime.toolCalls.begin(lease, {
      key: call.key,
      runId: run.id,
      step,
      callIndex: call.index,
      tool: call.tool.name,
      args: call.args,
      argsHash: hashArgs(call.args),
      status: 'started',
      idempotent: call.tool.idempotent,
      createdAt: clock.now(),
    });
    record = begun.record;
    if (!begun.created && record.argsHash !== hashArgs(call.args)) {
      // The same key with other arguments: whatever ran under it, this call is not that one.
      const review = `tool call ${call.key} (${call.tool.name}) was journalled with other arguments than the brain now proposes; it was not run — check which call happened`;
      return {
        events: [start],
        completion: undefined,
        outcome: { ok: false, error: { code: 'call_mismatch', message: review } },
        latencyMs: 0,
        executed: false,
        review,
      };
    }
    if (!begun.created && record.status !== 'started') return finishedFromJournal(record, start, step);
    if (!begun.created && !call.tool.idempotent) {
      // Only a resumed step can meet its own started call; the resume path handles it before this point.
      const error = {
        code: 'ambiguous_call',
        message: `${call.tool.name} call ${call.key} was already started and is not idempotent`,
      };
      return {
        events: [start],
        completion: undefined,
        outcome: { ok: false, error },
        latencyMs: 0,
        executed: false,
      };
    }
  } else if (record.status === 'succeeded' || record.status === 'failed') {
    return finishedFromJournal(record, start, step);
  }
  const began = clock.now();
  const outcome = await invokeTool(
    call.tool,
    call.args,
    {
      runId: run.id,
      rootRunId: run.rootRunId,
      orgId: run.orgId,
      agentId: run.agentId,
      callId: call.key,
      workspace: runtime.workspaceOf ? runtime.workspaceOf(run) : run.workspace,
      shellAllow: agent.shellAllow,
    },
    signal,
  );
  const latencyMs = clock.now() - began;
  // Results are stored redacted: a tool may echo a configured secret back (e.g. an API echoing its key).
  const redact = runtime.redact ?? (<T>(value: T): T => value);
  // Redacted, bounded and made storable (a NUL in a tool's output becomes U+FFFD).
  const stored = storableValue(
    redact(outcome.ok ? boundValue(outcome.value, resultMaxChars) : outcome.error),
  );
  // A call followed by more calls in its step records its completion at once, so a crash while the
  // later calls run replays this result instead of treating the call as interrupted (which would send a
  // non-idempotent call to review). The last call of a step is recorded by the step commit itself,
  // which follows at once: one statement less per step for a sub-millisecond window.
  if (call.recordEarly) {
    await runtime.toolCalls.resolve(run.orgId, call.key, {
      from: 'started',
      to: outcome.ok ? 'succeeded' : 'failed',
      result: stored,
      now: clock.now(),
    });
  }
  const end: EventPayload = outcome.ok
    ? {
        type: 'tool-call-end',
        step,
        callId: call.key,
        tool: call.tool.name,
        ok: true,
        result: stored,
        latencyMs,
        fromJournal: false,
      }
    : {
        type: 'tool-call-end',
        step,
        callId: call.key,
        tool: call.tool.name,
        ok: false,
        error: outcome.error,
        latencyMs,
        fromJournal: false,
      };
  return {
    events: [start, end],
    completion: {
      key: call.key,
      status: outcome.ok ? 'succeeded' : 'failed',
      result: stored,
      now: clock.now(),
    },
    outcome,
    latencyMs,
    executed: true,
    ...controlField(outcome.ok ? controlOf(outcome.value) : undefined),
  };
}

const controlField = (control: StepControl | undefined): { control?: StepControl } =>
  control === undefined ? {} : { control };

function finishedFromJournal(record: ToolCallRecord, start: EventPayload, step: number): CallResult {
  const ok = record.status === 'succeeded';
  const error = ok ? undefined : asErrorValue(record.result);
  const end: EventPayload = ok
    ? {
        type: 'tool-call-end',
        step,
        callId: record.key,
        tool: record.tool,
        ok,
        result: record.result,
        latencyMs: 0,
        fromJournal: true,
      }
    : {
        type: 'tool-call-end',
        step,
        callId: record.key,
        tool: record.tool,
        ok,
        error,
        latencyMs: 0,
        fromJournal: true,
      };
  return {
    events: [start, end],
    completion: undefined,
    outcome: ok
      ? { ok: true, value: record.result }
      : { ok: false, error: error ?? { code: 'tool_failed', message: 'failed' } },
    latencyMs: 0,
    executed: false,
    ...controlField(ok ? controlOf(record.result) : undefined),
  };
}

function asErrorValue(value: unknown): ErrorValue {
  const parsed = z.object({ code: z.string(), message: z.string() }).safeParse(value);
  return parsed.success ? parsed.data : { code: 'tool_failed', message: JSON.stringify(value) ?? 'failed' };
}
