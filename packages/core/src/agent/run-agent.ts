import type { BrainDecision, TranscriptEntry } from '../brains/brain.ts';
import { describeError } from '../errors.ts';
import type { ToolCallCompletion, ToolCallRecord } from '../ports/run-store.ts';
import type { EventPayload, RunEvent, StepOutcome } from '../protocol/events.ts';
import { isEphemeral } from '../protocol/events.ts';
import type { Run } from '../protocol/run.ts';
import { isTerminal } from '../protocol/run.ts';
import type { AnyTool } from '../tools/define-tool.ts';
import { allowedTools, describeTools } from '../tools/registry.ts';
import { budgetWarnings, exceededBudget } from './budgets.ts';
import { addStepUsage, statusAfter } from './outcome.ts';
import type {
  AgentRuntime,
  RunAgentOptions,
  RunAgentResult,
  RunPreparation,
  ToolObservation,
} from './runtime.ts';
import type { CallResult } from './tool-calls.ts';
import { LoopGuard, callKey, executeCall, prepareToolCall } from './tool-calls.ts';
import { readRunLog } from './read-log.ts';
import { createTranscriptBuilder } from './transcript.ts';

const noPreparation: RunPreparation = {
  recalled: [],
  reusablePlan: undefined,
  learnedCosts: new Map(),
  events: [],
};

/** What one step produced before it is committed. */
interface StepWork {
  outcome: StepOutcome;
  completions: ToolCallCompletion[];
  observations: ToolObservation[];
  toolCalls: number;
  brainState: unknown;
}

/**
 * The one agent loop. Each iteration builds the context, asks the brain, executes the tool calls,
 * checks budgets and commits the step (its events and the run state in one transaction) before the
 * next step starts. Stored events reach the sink only after their commit; `text-delta` as it streams.
 */
export async function runAgent(runtime: AgentRuntime, options: RunAgentOptions): Promise<RunAgentResult> {
  const { agent, lease } = options;
  const { clock } = runtime;
  const sink = options.sink ?? (() => undefined);
  const signal = options.signal ?? new AbortController().signal;
  const redact = runtime.redact ?? (<T>(value: T): T => value);
  let run = options.run;
  if (isTerminal(run.status) || (run.status !== 'running' && run.status !== 'queued'))
    return { run, yielded: false };

  // A run that never committed has no log to read (saves a query on every fresh run).
  const log: RunEvent[] = run.lastSeq === 0 ? [] : await readRunLog(runtime.runs, run.id);
  const transcript: TranscriptEntry[] = [];
  const extendTranscript = createTranscriptBuilder(transcript);
  extendTranscript(log);
  const allowed = new Map(allowedTools(runtime.tools, agent.tools).map((tool) => [tool.name, tool] as const));
  const descriptors = describeTools([...allowed.values()]);
  const preparation = runtime.hooks?.prepare ? await runtime.hooks.prepare(run, agent) : noPreparation;
  const guard = new LoopGuard();
  for (const entry of transcript)
    if (entry.kind === 'assistant') for (const call of entry.calls) guard.observe(call.tool, call.args);

  const resumed = log.length > 0;
  let carried: EventPayload[] = [
    { type: 'run-start', goal: run.goal.text, agent: agent.name, brain: runtime.brain.name, resumed },
    ...preparation.events,
  ];
  // A step may have journalled calls before a crash even when nothing was committed yet.
  let journalToCheck = true;
  for (let slice = 1; ; slice += 1) {
    const step = run.stepCount + 1;
    const began = clock.now();
    const events: EventPayload[] = [...carried, { type: 'step-start', step }];
    carried = [];
    const emit = (event: EventPayload): void => {
      if (isEphemeral(event)) sink(redact({ ...event, runId: run.id, seq: 0, at: clock.now() }));
      else events.push(event);
    };
    const pending = journalToCheck ? await pendingCalls(runtime, run, step) : [];
    journalToCheck = false;
    const currentRun = run;
    const call = (
      index: number,
      tool: AnyTool,
      args: unknown,
      key: string,
      recordEarly: boolean,
      record?: ToolCallRecord,
    ): Promise<CallResult> =>
      executeCall(
        runtime,
        currentRun,
        agent,
        lease,
        step,
        { key, index, tool, args, recordEarly, ...(record ? { record } : {}) },
        signal,
        options.resultMaxChars ?? 32_768,
      );
    const work =
      pending.length > 0
        ? await replayCalls(runtime, run, pending, allowed, emit, call)
        : await decideAndAct(runtime, options, {
            run,
            step,
            transcript,
            descriptors,
            preparation,
            allowed,
            guard,
            emit,
            call,
            signal,
          });

    let outcome = work.outcome;
    if (signal.aborted && (outcome.kind === 'continue' || outcome.kind === 'interrupt')) {
      outcome = { kind: 'final', status: 'cancelled', reason: 'cancelled by request' };
    }
    const now = clock.now();
    const usage = addStepUsage(run.usage, events, work.toolCalls, now - began);
    if (outcome.kind === 'continue') {
      const exceeded = exceededBudget(run.budgets, usage);
      if (exceeded) outcome = { kind: 'final', status: 'budget_exceeded', reason: exceeded };
    }
    events.push(...budgetWarnings(run.budgets, run.usage, usage));
    if (outcome.kind === 'final') {
      if (runtime.hooks?.reflect) events.push(...(await runtime.hooks.reflect(run, agent, outcome, log)));
      events.push({
        type: 'run-end',
        status: outcome.status,
        answer: outcome.answer,
        reason: outcome.reason,
        usage,
      });
    }
    const status = statusAfter(outcome);
    events.push({ type: 'step-end', step, outcome, status });
    const committed = await runtime.runs.commitStep(lease, {
      events: events.map(redact),
      status,
      usage,
      stepCount: step,
      brainState: work.brainState,
      answer: outcome.kind === 'final' ? (outcome.answer ?? null) : null,
      reason: outcome.kind === 'final' ? (outcome.reason ?? null) : null,
      toolCalls: work.completions,
      now,
      leaseExpiresAt: now + (options.leaseTtlMs ?? 30_000),
    });
    run = committed.run;
    log.push(...committed.events);
    extendTranscript(committed.events);
    for (const event of committed.events) sink(event);
    if (runtime.hooks?.observeTool)
      for (const observation of work.observations) await runtime.hooks.observeTool(run, agent, observation);
    if (run.status !== 'running') return { run, yielded: false };
    if (options.maxSteps !== undefined && slice >= options.maxSteps) return { run, yielded: true };
  }
}

/** A step that has done nothing yet: it continues, with the brain state it started from. */
const emptyWork = (run: Run): StepWork => ({
  outcome: { kind: 'continue' },
  completions: [],
  observations: [],
  toolCalls: 0,
  brainState: run.brainState,
});

/** Journalled calls a resumed step must finish first: its own uncommitted calls and approved calls. */
async function pendingCalls(runtime: AgentRuntime, run: Run, step: number): Promise<ToolCallRecord[]> {
  const records = await runtime.toolCalls.listForRun(run.id);
  return records
    .filter(
      (record) =>
        (record.step === step && ['started', 'succeeded', 'failed'].includes(record.status)) ||
        record.status === 'approved',
    )
    .sort((a, b) => a.step - b.step || a.callIndex - b.callIndex);
}

type CallFn = (
  index: number,
  tool: AnyTool,
  args: unknown,
  key: string,
  recordEarly: boolean,
  record?: ToolCallRecord,
) => Promise<CallResult>;

/**
 * Finishes the calls of a step that was interrupted before its commit, without asking the brain again:
 * completed calls are replayed from the journal, started idempotent calls re-run, a started
 * non-idempotent call ends the run in `needs_review`, approved calls run now.
 */
async function replayCalls(
  runtime: AgentRuntime,
  run: Run,
  pending: ToolCallRecord[],
  allowed: ReadonlyMap<string, AnyTool>,
  emit: (event: EventPayload) => void,
  call: CallFn,
): Promise<StepWork> {
  const work = emptyWork(run);
  for (const record of pending) {
    const tool = allowed.get(record.tool) ?? runtime.tools.get(record.tool);
    if (record.status === 'started' && (!tool || !record.idempotent)) {
      const reason = `tool call ${record.key} (${record.tool}) was interrupted mid-call and is not idempotent; it was not executed again — check whether its effect happened`;
      emit({ type: 'error', code: 'ambiguous_tool_call', message: reason });
      work.outcome = { kind: 'final', status: 'needs_review', reason };
      return work;
    }
    if (!tool) continue;
    if (record.status === 'approved') {
      const claimed = await runtime.toolCalls.resolve(
        record.key,
        'approved',
        'started',
        null,
        runtime.clock.now(),
      );
      if (!claimed) continue;
    }
    const result = await call(record.callIndex, tool, record.args, record.key, true, {
      ...record,
      status: record.status === 'approved' ? 'started' : record.status,
    });
    collect(work, result, record.tool, record.step, emit);
  }
  return work;
}

function collect(
  work: StepWork,
  result: CallResult,
  tool: string,
  step: number,
  emit: (event: EventPayload) => void,
): void {
  for (const event of result.events) emit(event);
  if (result.completion) work.completions.push(result.completion);
  if (result.executed) {
    work.toolCalls += 1;
    work.observations.push({ tool, ok: result.outcome.ok, latencyMs: result.latencyMs, step });
  }
}

interface DecideInput {
  run: Run;
  step: number;
  transcript: readonly TranscriptEntry[];
  descriptors: ReturnType<typeof describeTools>;
  preparation: RunPreparation;
  allowed: ReadonlyMap<string, AnyTool>;
  guard: LoopGuard;
  emit: (event: EventPayload) => void;
  call: CallFn;
  signal: AbortSignal;
}

/** Asks the brain for a decision and carries it out. */
async function decideAndAct(
  runtime: AgentRuntime,
  options: RunAgentOptions,
  input: DecideInput,
): Promise<StepWork> {
  const { run, step, emit, signal } = input;
  const work = emptyWork(run);
  if (signal.aborted) {
    work.outcome = { kind: 'final', status: 'cancelled', reason: 'cancelled by request' };
    return work;
  }
  let decision: BrainDecision;
  try {
    decision = await runtime.brain.decide({
      run,
      agent: options.agent,
      step,
      transcript: input.transcript,
      tools: input.descriptors,
      recalled: input.preparation.recalled,
      reusablePlan: input.preparation.reusablePlan,
      learnedCosts: input.preparation.learnedCosts,
      brainState: run.brainState,
      emit,
      signal,
    });
  } catch (error) {
    const message = `the brain failed: ${describeError(error)}`;
    emit({ type: 'error', step, code: 'brain_failed', message });
    decision = { kind: 'finish', status: 'failed', answer: message };
  }
  if (decision.brainState !== undefined) work.brainState = decision.brainState;
  if (decision.kind === 'finish') {
    work.outcome =
      decision.status === 'succeeded'
        ? { kind: 'final', status: 'succeeded', answer: decision.answer }
        : { kind: 'final', status: 'failed', answer: decision.answer, reason: decision.answer };
    return work;
  }
  for (const [index, proposed] of decision.calls.entries()) {
    if (signal.aborted) break;
    const key = callKey(run.id, step, index);
    const repeats = input.guard.observe(proposed.tool, proposed.args);
    const prepared = prepareToolCall(
      proposed,
      key,
      input.allowed,
      options.agent,
      repeats,
      options.loopGuardLimit ?? 3,
    );
    if (prepared.kind === 'refused') {
      emit({ type: 'tool-call-start', step, callId: key, tool: prepared.tool, args: prepared.args });
      emit({
        type: 'tool-call-end',
        step,
        callId: key,
        tool: prepared.tool,
        ok: false,
        error: prepared.error,
        latencyMs: 0,
        fromJournal: false,
      });
      if (prepared.audit && runtime.audit) {
        await runtime.audit(run, {
          action: 'tool.refused',
          target: key,
          detail: { tool: prepared.tool, code: prepared.error.code },
        });
      }
      continue;
    }
    if (prepared.kind === 'needs-approval') {
      await runtime.toolCalls.begin(options.lease, {
        key,
        runId: run.id,
        step,
        callIndex: index,
        tool: prepared.tool.name,
        args: prepared.args,
        argsHash: '',
        status: 'awaiting_approval',
        idempotent: prepared.tool.idempotent,
        createdAt: runtime.clock.now(),
      });
      const reason = `policy requires approval for ${prepared.tool.name} (risk ${prepared.tool.risk})`;
      emit({
        type: 'approval-request',
        step,
        callId: key,
        tool: prepared.tool.name,
        args: prepared.args,
        risk: prepared.tool.risk,
        reason,
      });
      work.outcome = { kind: 'interrupt', on: 'approval', callId: key };
      return work;
    }
    const moreFollow = index < decision.calls.length - 1;
    collect(
      work,
      await input.call(index, prepared.tool, prepared.args, key, moreFollow),
      prepared.tool.name,
      step,
      emit,
    );
  }
  return work;
}
