import type { BrainDecision } from '../brains/brain.ts';
import { AutonomaError, describeError } from '../errors.ts';
import type { ReusablePlan } from '../ports/learning-store.ts';
import type { CommitResult, StepCommit } from '../ports/run-store.ts';
import type { RunPreparationState } from '../protocol/context.ts';
import { parseRunContext, parseRunPreparation } from '../protocol/context.ts';
import type { EventPayload, RunEvent, StepOutcome } from '../protocol/events.ts';
import { isEphemeral } from '../protocol/events.ts';
import type { Run } from '../protocol/run.ts';
import { isTerminal, keepsWakeTime } from '../protocol/run.ts';
import { storableText, storableValue } from '../protocol/storable.ts';
import { stableStringify } from '../stable-json.ts';
import type { AnyTool, ToolDescriptor } from '../tools/define-tool.ts';
import { allowedTools, describeTools } from '../tools/registry.ts';
import { budgetWarnings, exceededBudget } from './budgets.ts';
import type { CollectedChildren } from './delegation.ts';
import {
  addUsage,
  asToolCalls,
  collectChildren,
  defaultDelegationLimits,
  delegateToolName,
  delegationRefusal,
  planChildren,
} from './delegation.ts';
import type { WorkingMemory } from './context.ts';
import { boundWorkingMemory, foldEvents, initialContext, openWorkingMemory } from './context.ts';
import { finalizeRun } from './finalize.ts';
import { addStepUsage, outcomeOf, statusAfter } from './outcome.ts';
import { readRunLog } from './read-log.ts';
import { recoverStep } from './recover-step.ts';
import type { StepWork } from './step-work.ts';
import { collect, stepGoesOn } from './step-work.ts';
import type { AdvanceRunOptions, AdvanceRunResult, AgentRuntime } from './runtime.ts';
import type { CallSetting, GuardState } from './tool-calls.ts';
import { callKey, executeCall, observeCall, prepareToolCall } from './tool-calls.ts';

/** What every phase of a slice shares. */
interface Slice {
  runtime: AgentRuntime;
  options: AdvanceRunOptions;
  allowed: ReadonlyMap<string, AnyTool>;
  /** What the brain is told about the allowed tools (computed once per slice). */
  descriptors: ToolDescriptor[];
  signal: AbortSignal;
  /** Redacts secrets and makes a value storable: applied to everything that leaves the loop. */
  clean: <T>(value: T) => T;
  run: Run;
  /** The persisted context and the window's transcript. */
  memory: WorkingMemory;
  /** What the run's start prepared (recalled memories, a reusable plan, learned costs). */
  preparation: RunPreparationState;
  /** The start's events, committed with the first step (then cleared). */
  starting: EventPayload[] | undefined;
  /** The context as last stored (JSON), to write it only when it changes. */
  persistedContext: string;
  /** The outcomes of the children the run waited for, recorded by the slice's first step. */
  collected: CollectedChildren | undefined;
}

const noPreparation = (): RunPreparationState => ({
  recalled: [],
  reusablePlan: null,
  learnedCosts: [],
  conversation: null,
});

const runnable = (run: Run): boolean => run.status === 'queued' || run.status === 'running';

/**
 * The one agent loop, advancing a run by one slice. A slice opens the run's persisted context (never
 * the whole log), starts the run once (step 0: preparation), then repeats a step — finish an
 * interrupted step or decide and act, check budgets, commit — until the run stops, waits, uses its
 * steps or is drained. A terminal run is finalized (reflection, then `run-end`) after its last commit.
 * Stored events reach the sink only after their commit; `text-delta` as it streams.
 */
export async function advanceRun(
  runtime: AgentRuntime,
  options: AdvanceRunOptions,
): Promise<AdvanceRunResult> {
  const opened = await openSlice(runtime, options);
  if ('end' in opened) return opened;
  const slice = opened;
  if (slice.run.status === 'waiting_input') {
    // Its question went unanswered for the rest of its wall-time budget.
    await commitWork(slice, unansweredWork(slice), 1);
    await finalizeRun(runtime, { run: slice.run, agent: options.agent, sink: sinkOf(options) });
    return { run: slice.run, end: 'ended' };
  }
  if (slice.run.context === null && slice.run.lastSeq === 0) await startRun(slice);
  const children = await collectChildren(
    runtime.runs,
    slice.run,
    slice.memory.context.open,
    slice.run.stepCount + 1,
    resultMaxChars(options),
  );
  if (children === 'unfinished') return waitForChildren(slice);
  slice.collected = children;
  for (let taken = 0; ; taken += 1) {
    const work =
      taken === 0 ? await recoverOrDecide(slice) : await decideAndAct(slice, slice.run.stepCount + 1);
    await commitWork(slice, work, taken + 1);
    await observeTools(slice, work);
    if (isTerminal(slice.run.status)) {
      await finalizeRun(runtime, { run: slice.run, agent: options.agent, sink: sinkOf(options) });
      return { run: slice.run, end: 'ended' };
    }
    if (!runnable(slice.run)) return { run: slice.run, end: 'waiting' };
    if (options.drain?.aborted) return { run: slice.run, end: 'drained' };
    if (sliceEnds(options, taken + 1)) return { run: slice.run, end: 'yielded' };
  }
}

const sinkOf = (options: AdvanceRunOptions) => options.sink ?? (() => undefined);

const resultMaxChars = (options: AdvanceRunOptions): number => options.resultMaxChars ?? 32_768;

/**
 * A run made runnable while a child it waits for has not ended (never by the stores' own rules): it
 * goes back to waiting. The compare-and-set fails when a child ended meanwhile (ending bumps the
 * parent's version), and the run's next slice collects again.
 */
async function waitForChildren(slice: Slice): Promise<AdvanceRunResult> {
  const { run, runtime } = slice;
  const result = await runtime.runs.transition(
    run.orgId,
    run.id,
    { status: run.status, version: run.version },
    { status: 'waiting_children', now: runtime.clock.now() },
  );
  return { run: result?.run ?? run, end: result ? 'waiting' : 'yielded' };
}

const sliceEnds = (options: AdvanceRunOptions, taken: number): boolean =>
  options.sliceSteps !== undefined && taken >= options.sliceSteps;

/**
 * Opens a slice: a terminal run only needs finalizing, a waiting one nothing; otherwise the persisted
 * context is read and whatever was appended since (an approval, an answer) folded in.
 */
async function openSlice(
  runtime: AgentRuntime,
  options: AdvanceRunOptions,
): Promise<Slice | AdvanceRunResult> {
  const { run } = options;
  if (isTerminal(run.status)) {
    if (run.finalizedAt === null)
      await finalizeRun(runtime, { run, agent: options.agent, sink: sinkOf(options) });
    return { run, end: 'ended' };
  }
  const due = keepsWakeTime(run.status) && run.wakeAt !== null && run.wakeAt <= runtime.clock.now();
  if (!runnable(run) && !due) return { run, end: 'waiting' };
  const redact = runtime.redact ?? (<T>(value: T): T => value);
  const allowed = new Map(
    allowedTools(runtime.tools, options.agent.tools).map((tool) => [tool.name, tool] as const),
  );
  const slice: Slice = {
    runtime,
    options,
    allowed,
    descriptors: describeTools([...allowed.values()]),
    signal: options.signal ?? new AbortController().signal,
    clean: <T>(value: T): T => storableValue(redact(value)),
    run,
    memory: openWorkingMemory(initialContext(), []),
    preparation: noPreparation(),
    starting: undefined,
    persistedContext: run.context === null ? '' : stableStringify(run.context),
    collected: undefined,
  };
  try {
    slice.memory = await loadWorkingMemory(runtime, run);
    if (run.preparation !== null) slice.preparation = parseRunPreparation(run.preparation);
  } catch (error) {
    if (!(error instanceof AutonomaError && error.code === 'state_version_mismatch')) throw error;
    await commitWork(slice, failedWork(slice, error), 1);
    await finalizeRun(runtime, { run: slice.run, agent: options.agent, sink: sinkOf(options) });
    return { run: slice.run, end: 'ended' };
  }
  return slice;
}

/**
 * The run's working memory: its persisted context (the summary, pointers) and the events of its window
 * — bounded by the agent's working-memory budget, never the whole log.
 */
async function loadWorkingMemory(runtime: AgentRuntime, run: Run): Promise<WorkingMemory> {
  // A run stored before contexts were persisted has its window at its first event: read once, then bounded.
  const context = run.context === null ? initialContext() : parseRunContext(run.context);
  if (run.lastSeq < context.windowFromSeq) return openWorkingMemory(context, []);
  return openWorkingMemory(context, await readRunLog(runtime.runs, run, context.windowFromSeq - 1));
}

/**
 * The run's start (step 0): the preparation (recall, plan lookup) happens once per run; it and
 * `run-start` are committed with the first step (a crash before that commit leaves nothing, and the
 * next slice prepares again), so a run starts with one commit fewer.
 */
async function startRun(slice: Slice): Promise<void> {
  const { runtime, options } = slice;
  const { agent } = options;
  const preparation = runtime.hooks?.prepare ? await runtime.hooks.prepare(slice.run, agent) : undefined;
  slice.preparation = {
    recalled: preparation?.recalled ?? [],
    reusablePlan: preparation?.reusablePlan ? { ...preparation.reusablePlan } : null,
    learnedCosts: [...(preparation?.learnedCosts ?? new Map<string, number>())],
    conversation: preparation?.conversation ?? null,
  };
  const events: EventPayload[] = [
    {
      type: 'run-start',
      goal: slice.run.goal.text,
      agent: agent.name,
      brain: runtime.brain.name,
      resumed: false,
    },
    ...(preparation?.events ?? []),
  ];
  slice.starting = events.map(slice.clean);
}

/**
 * The first step of a slice records the outcomes of the children the run waited for, then finishes an
 * interrupted step's journalled calls, or else decides and acts.
 */
async function recoverOrDecide(slice: Slice): Promise<StepWork & { events: EventPayload[] }> {
  const step = slice.run.stepCount + 1;
  const { collected } = slice;
  slice.collected = undefined;
  const pending = await slice.runtime.toolCalls.pending(slice.run.orgId, slice.run.id, step);
  if (pending.length === 0) return decideAndAct(slice, step, collected);
  const events: EventPayload[] = [{ type: 'step-start', step }, ...(collected?.events ?? [])];
  const work = await recoverStep({
    setting: callSetting(slice, step),
    pending,
    allowed: slice.allowed,
    emit: emitter(slice, events),
    work: { ...emptyWork(slice), ...(collected ? { rolledUp: collected.usage } : {}) },
  });
  return { ...work, events };
}

/** A step that has done nothing yet: it continues, with the brain state and guard it started from. */
const emptyWork = (slice: Slice): StepWork => ({
  outcome: { kind: 'continue' },
  completions: [],
  observations: [],
  toolCalls: 0,
  brainState: slice.run.brainState,
  guard: slice.memory.guard,
  startedAt: slice.runtime.clock.now(),
});

/** Collects a step's events: stored ones in order, ephemeral ones straight to the sink. */
function emitter(slice: Slice, events: EventPayload[]): (event: EventPayload) => void {
  const sink = sinkOf(slice.options);
  return (event) => {
    if (isEphemeral(event)) {
      sink(slice.clean({ ...event, runId: slice.run.id, seq: 0, at: slice.runtime.clock.now() }));
      return;
    }
    events.push(event);
  };
}

const callSetting = (slice: Slice, step: number): CallSetting => ({
  runtime: slice.runtime,
  run: slice.run,
  agent: slice.options.agent,
  lease: slice.options.lease,
  step,
  signal: slice.signal,
  resultMaxChars: resultMaxChars(slice.options),
});

/**
 * Asks the brain for a decision and carries it out. `collected` (the outcomes of the children the run
 * waited for) opens the step, and the brain decides with them.
 */
async function decideAndAct(
  slice: Slice,
  step: number,
  collected?: CollectedChildren,
): Promise<StepWork & { events: EventPayload[] }> {
  const { runtime, options, signal } = slice;
  const events: EventPayload[] = [{ type: 'step-start', step }, ...(collected?.events ?? [])];
  const emit = emitter(slice, events);
  const work: StepWork = { ...emptyWork(slice), ...(collected ? { rolledUp: collected.usage } : {}) };
  if (signal.aborted) {
    work.outcome = { kind: 'final', status: 'cancelled', reason: 'cancelled by request' };
    return { ...work, events };
  }
  const spent = collected && exceededBudget(slice.run.budgets, addUsage(slice.run.usage, collected.usage));
  if (spent) {
    // The children spent what the tree had: the run stops without asking the brain (and paying) again.
    work.outcome = { kind: 'final', status: 'budget_exceeded', reason: `${spent}, counting its child runs` };
    return { ...work, events };
  }
  const decision = asToolCalls(await decide(slice, step, emit, collected?.events ?? []));
  if (decision.brainState !== undefined) work.brainState = decision.brainState;
  work.outcome = outcomeOf({ decision });
  if (decision.kind !== 'act') return { ...work, events };
  const setting = callSetting(slice, step);
  const limits = runtime.delegation ?? defaultDelegationLimits;
  let delegations = 0;
  for (const [index, proposed] of decision.calls.entries()) {
    if (signal.aborted) break;
    const key = callKey(slice.run.id, step, index);
    const observed = observeCall(work.guard, proposed.tool, proposed.args);
    work.guard = observed.guard;
    let prepared = prepareToolCall(proposed, {
      key,
      allowed: slice.allowed,
      agent: options.agent,
      repeats: observed.repeats,
      loopGuardLimit: options.loopGuardLimit ?? 3,
    });
    if (prepared.kind !== 'refused' && prepared.tool.name === delegateToolName) {
      const refusal = delegationRefusal(slice.run, delegations, limits);
      delegations += 1;
      if (refusal)
        prepared = {
          kind: 'refused',
          key,
          tool: delegateToolName,
          args: prepared.args,
          error: refusal,
          audit: false,
        };
    }
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
        await runtime.audit(slice.run, {
          action: 'tool.refused',
          target: key,
          detail: { tool: prepared.tool, code: prepared.error.code },
        });
      }
      continue;
    }
    if (prepared.kind === 'needs-approval') {
      await requestApproval(slice, { step, index, key, tool: prepared.tool, args: prepared.args }, emit);
      work.outcome = { kind: 'interrupt', on: 'approval', callId: key };
      return { ...work, events };
    }
    const moreFollow = index < decision.calls.length - 1;
    const result = await executeCall(setting, {
      key,
      index,
      tool: prepared.tool,
      args: prepared.args,
      recordEarly: moreFollow,
    });
    collect(work, result, { tool: prepared.tool.name, step, callId: key }, emit);
    if (!stepGoesOn(work.outcome)) break;
  }
  return { ...work, events };
}

/**
 * The brain's decision, made storable; a brain failure is a value that fails the run. `opening` are
 * events of this step the brain must see (the children's outcomes), folded into what it is shown.
 */
async function decide(
  slice: Slice,
  step: number,
  emit: (event: EventPayload) => void,
  opening: readonly EventPayload[],
): Promise<BrainDecision> {
  const { runtime, options, preparation, run } = slice;
  const memory =
    opening.length === 0
      ? slice.memory
      : foldEvents(
          slice.memory,
          opening.map((event, index) => ({ ...event, runId: run.id, seq: run.lastSeq + index + 2, at: 0 })),
        );
  try {
    const decision = await runtime.brain.decide({
      run,
      agent: options.agent,
      step,
      transcript: memory.transcript,
      tools: slice.descriptors,
      recalled: preparation.recalled,
      reusablePlan: (preparation.reusablePlan ?? undefined) as ReusablePlan | undefined,
      learnedCosts: new Map(preparation.learnedCosts),
      brainState: run.brainState,
      ...(preparation.conversation ? { conversation: preparation.conversation } : {}),
      emit,
      signal: slice.signal,
    });
    // What the brain proposed is made storable before anything runs, so what runs is what is journalled.
    return storableValue(decision);
  } catch (error) {
    const code =
      error instanceof AutonomaError && error.code === 'state_version_mismatch' ? error.code : 'brain_failed';
    const message =
      code === 'brain_failed' ? `the brain failed: ${describeError(error)}` : describeError(error);
    emit({ type: 'error', step, code, message });
    return { kind: 'finish', status: 'failed', answer: message };
  }
}

/** Journals a call that needs a human and asks for approval. */
async function requestApproval(
  slice: Slice,
  call: { step: number; index: number; key: string; tool: AnyTool; args: unknown },
  emit: (event: EventPayload) => void,
): Promise<void> {
  const { runtime, options, run } = slice;
  await runtime.toolCalls.begin(options.lease, {
    key: call.key,
    runId: run.id,
    step: call.step,
    callIndex: call.index,
    tool: call.tool.name,
    args: call.args,
    argsHash: '',
    status: 'awaiting_approval',
    idempotent: call.tool.idempotent,
    createdAt: runtime.clock.now(),
  });
  emit({
    type: 'approval-request',
    step: call.step,
    callId: call.key,
    tool: call.tool.name,
    args: call.args,
    risk: call.tool.risk,
    reason: `policy requires approval for ${call.tool.name} (risk ${call.tool.risk})`,
  });
}

/** The step that ends a run whose question was not answered within its wall-time budget. */
function unansweredWork(slice: Slice): StepWork & { events: EventPayload[] } {
  const { run } = slice;
  const step = run.stepCount + 1;
  const reason = `wall budget exhausted: the question was not answered within the ${run.budgets.maxWallMs ?? 0} ms the run had`;
  return {
    ...emptyWork(slice),
    // The wait counts: the run's wall time runs from when it asked.
    startedAt: run.updatedAt,
    outcome: { kind: 'final', status: 'budget_exceeded', reason },
    events: [
      { type: 'step-start', step },
      { type: 'error', step, code: 'input_timeout', message: reason },
    ],
  };
}

/** A step that fails the run at once (its state can no longer be read). */
function failedWork(slice: Slice, error: AutonomaError): StepWork & { events: EventPayload[] } {
  const step = slice.run.stepCount + 1;
  return {
    ...emptyWork(slice),
    outcome: { kind: 'final', status: 'failed', reason: error.message },
    events: [
      { type: 'step-start', step },
      { type: 'error', step, code: error.code, message: error.message },
    ],
  };
}

/**
 * Settles the step's outcome (cancel, budgets), adds its usage, warnings and `step-end`, and commits
 * it with the updated context. Only then do its events reach the sink.
 */
async function commitWork(
  slice: Slice,
  work: StepWork & { events: EventPayload[] },
  taken: number,
): Promise<void> {
  const { run, options, runtime } = slice;
  const step = run.stepCount + 1;
  let outcome = work.outcome;
  // A step cut short by a cancel ends the run cancelled, also when the cut failed the brain's call (a
  // model call aborted mid-stream is a failure to the brain, not the run's).
  if (slice.signal.aborted && (outcome.kind !== 'final' || outcome.status === 'failed')) {
    outcome = { kind: 'final', status: 'cancelled', reason: 'cancelled by request' };
  }
  const durationMs = runtime.clock.now() - work.startedAt;
  const usage = addStepUsage(
    work.rolledUp ? addUsage(run.usage, work.rolledUp) : run.usage,
    work.events,
    work.toolCalls,
    durationMs,
  );
  if (outcome.kind === 'continue' || outcome.kind === 'delegate') {
    // Children's usage counts as the run's: a tree that spent its budget stops here.
    const exceeded = exceededBudget(run.budgets, usage);
    if (exceeded) outcome = { kind: 'final', status: 'budget_exceeded', reason: exceeded };
  }
  const planned =
    outcome.kind === 'delegate'
      ? planChildren(run, step, outcome.tasks, {
          usage,
          now: runtime.clock.now(),
          jobId: (childId) => (runtime.jobId ? runtime.jobId(run) : `job_${childId}`),
        })
      : undefined;
  if (planned && outcome.kind === 'delegate') outcome = { ...outcome, tasks: planned.tasks };
  const status = statusAfter(outcome);
  const answer =
    outcome.kind === 'final' && outcome.answer !== undefined ? storableText(outcome.answer) : null;
  const reason =
    outcome.kind === 'final' && outcome.reason !== undefined ? storableText(outcome.reason) : null;
  const events: EventPayload[] = [
    ...work.events,
    ...(planned?.events ?? []),
    ...budgetWarnings(run.budgets, run.usage, usage),
    { type: 'step-end', step, outcome, status, durationMs: Math.max(0, durationMs) },
  ];
  // With no reflection to wait for, the run's log ends with its last commit (one statement fewer).
  const endsHere = isTerminal(status) && !runtime.hooks?.reflect;
  if (endsHere && outcome.kind === 'final') {
    events.push({
      type: 'run-end',
      status: outcome.status,
      ...(answer !== null ? { answer } : {}),
      ...(reason !== null ? { reason } : {}),
      usage,
    });
  }
  // A question waits at most for the rest of the wall-time budget: then the run is taken up to end it.
  const deadline =
    status === 'waiting_input' && run.budgets.maxWallMs !== undefined
      ? runtime.clock.now() + Math.max(0, run.budgets.maxWallMs - usage.wallMs)
      : undefined;
  const wakeAt = outcome.kind === 'sleep' ? outcome.until : deadline;
  const yielding =
    (status === 'running' && (sliceEnds(options, taken) || options.drain?.aborted === true)) ||
    wakeAt !== undefined;
  await commit(slice, {
    events: events.map(slice.clean),
    status,
    usage,
    stepCount: step,
    brainState: work.brainState,
    guard: work.guard,
    ...(outcome.kind === 'final' ? { answer, reason } : {}),
    toolCalls: work.completions,
    ...(endsHere ? { finalize: true } : {}),
    ...(wakeAt !== undefined ? { wakeAt } : {}),
    ...(planned ? { children: planned.children } : {}),
    ...(yielding
      ? {
          enqueue: {
            jobId: runtime.jobId ? runtime.jobId(run) : `job_${run.id}_${run.lastSeq}`,
            ...(wakeAt !== undefined ? { runAt: wakeAt } : {}),
          },
        }
      : {}),
  });
}

/** What a commit needs beyond the context the loop computes itself. */
type Draft = Omit<StepCommit, 'context' | 'now' | 'leaseExpiresAt' | 'expectedLastSeq'> & {
  guard?: GuardState;
};

/**
 * Commits with the context the committed events lead to. The events' `seq`s follow the run's
 * `lastSeq`; a commit that finds events appended meanwhile (`stale`) folds those in and commits again.
 */
async function commit(slice: Slice, draft: Draft): Promise<void> {
  const { runtime, options } = slice;
  const { guard, ...given } = draft;
  // The run's start rides on its first commit.
  const rest: typeof given = slice.starting
    ? { ...given, events: [...slice.starting, ...given.events], preparation: slice.clean(slice.preparation) }
    : given;
  for (let attempt = 0; ; attempt += 1) {
    const { run } = slice;
    const now = runtime.clock.now();
    const sequenced: RunEvent[] = rest.events.map((event, index) => ({
      ...event,
      runId: run.id,
      seq: run.lastSeq + index + 1,
      at: now,
    }));
    const folded = foldEvents(slice.memory, sequenced);
    const memory = boundWorkingMemory(
      guard ? { ...folded, guard } : folded,
      options.agent.memory.workingTokens,
    );
    // The context is written only when it changed: most steps only grow the window.
    // Compared in a key order of its own: the store may give keys back in another order (jsonb).
    const contextText = stableStringify(memory.context);
    const context = contextText === slice.persistedContext ? {} : { context: memory.context };
    let committed: CommitResult;
    try {
      committed = await commitOrFail(slice, {
        ...rest,
        ...context,
        now,
        leaseExpiresAt: now + (options.leaseTtlMs ?? 30_000),
        expectedLastSeq: run.lastSeq,
      });
    } catch (error) {
      if (!(error instanceof AutonomaError && error.code === 'stale' && attempt < 5)) throw error;
      // Events were appended outside the step (e.g. an approval resolved late): fold them in, retry.
      const appended = await readRunLog(runtime.runs, run, slice.memory.throughSeq);
      slice.memory = foldEvents(slice.memory, appended);
      slice.run = { ...run, lastSeq: appended.at(-1)?.seq ?? run.lastSeq };
      continue;
    }
    slice.run = committed.run;
    slice.memory = memory;
    slice.persistedContext = contextText;
    slice.starting = undefined;
    const sink = sinkOf(options);
    for (const event of committed.events) sink(event);
    return;
  }
}

/**
 * Commits a step. When the store refuses the step's data for good (`store_rejected`: a value it cannot
 * hold, a limit it enforces), retrying would fail the same way for ever and, on every resume, repeat the
 * step's tool calls. So the run ends `failed` instead, in a step that records the refusal, keeps the
 * brain state and context it had, and marks the step's finished calls done so their effects are never
 * repeated.
 */
async function commitOrFail(
  slice: Slice,
  commit: StepCommit & { expectedLastSeq: number },
): Promise<CommitResult> {
  const { runtime, options, run } = slice;
  try {
    return await runtime.runs.commitStep(options.lease, commit);
  } catch (error) {
    if (!(error instanceof AutonomaError && error.code === 'store_rejected')) throw error;
    const step = commit.stepCount;
    const reason = `step ${step} could not be stored: ${error.message}`;
    const outcome: StepOutcome = { kind: 'final', status: 'failed', reason };
    const events: EventPayload[] = [
      ...(slice.starting ?? []),
      { type: 'error', step, code: 'step_not_storable', message: reason },
      { type: 'step-end', step, outcome, status: 'failed' },
    ];
    return runtime.runs.commitStep(options.lease, {
      ...commit,
      events,
      status: 'failed',
      brainState: run.brainState,
      context: slice.memory.context,
      answer: null,
      reason,
      toolCalls: (commit.toolCalls ?? []).map((call) => ({
        ...call,
        result: { code: 'result_not_storable', message: 'the result could not be stored' },
      })),
    });
  }
}

/** Learning sees every executed call of a committed step. */
async function observeTools(slice: Slice, work: StepWork): Promise<void> {
  const observe = slice.runtime.hooks?.observeTool;
  if (!observe) return;
  for (const observation of work.observations) await observe(slice.run, slice.options.agent, observation);
}
