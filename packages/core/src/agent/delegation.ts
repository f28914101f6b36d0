import type { BrainDecision } from '../brains/brain.ts';
import type { NewRun, RunStore } from '../ports/run-store.ts';
import type { DelegatedTask, ErrorValue, EventPayload } from '../protocol/events.ts';
import type { Budgets, Run, Usage } from '../protocol/run.ts';
import { emptyUsage, isTerminal } from '../protocol/run.ts';
import { boundValue, hashString } from './stable-json.ts';

/** The built-in tool that hands a sub-goal to a child run (ARCHITECTURE §6). */
export const delegateToolName = 'delegate';
/** The built-in tool that puts a question to the run's user. */
export const askUserToolName = 'ask_user';

/** How deep a delegation tree may grow and how many children one step may start. */
export interface DelegationLimits {
  /** A run at this depth may not delegate (a user's run is at depth 0). */
  maxDepth: number;
  /** Child runs one step may start. */
  maxChildren: number;
}

/** The defaults (configuration: `delegation.maxDepth`, `delegation.maxChildren`). */
export const defaultDelegationLimits: DelegationLimits = { maxDepth: 3, maxChildren: 10 };

/**
 * The id of the child run a `delegate` call creates, derived from the call's key: a step retried after
 * a crash derives the same id, and the store never creates a run twice.
 */
export const childRunIdOf = (callId: string): string =>
  `run_${hashString(callId, 0x64656c)}${hashString(callId, 0x676174).slice(0, 9)}`;

/**
 * A brain's `delegate` or `ask` decision as calls of the built-in `delegate` and `ask_user` tools, so
 * that every delegation and question is journalled under a call key, checked against the agent's
 * allowlist and answered as that call's result.
 */
export function asToolCalls(decision: BrainDecision): BrainDecision {
  const carried = decision.brainState === undefined ? {} : { brainState: decision.brainState };
  if (decision.kind === 'delegate') {
    return {
      kind: 'act',
      calls: decision.tasks.map((task) => ({
        tool: delegateToolName,
        args: {
          goal: task.goal,
          ...(task.agent === undefined ? {} : { agent: task.agent }),
          ...(task.spec === undefined ? {} : { spec: task.spec }),
          ...(task.budgets === undefined ? {} : { budgets: task.budgets }),
        },
      })),
      ...(decision.text === undefined ? {} : { text: decision.text }),
      ...carried,
    };
  }
  if (decision.kind === 'ask') {
    return {
      kind: 'act',
      calls: [{ tool: askUserToolName, args: { question: decision.question } }],
      ...carried,
    };
  }
  return decision;
}

/**
 * Why a `delegate` call may not run, or undefined: the run is as deep as delegation goes (which also
 * stops an agent delegating to itself in a cycle), or the step already started as many children as
 * one step may. `ordinal` counts the step's `delegate` calls from 0.
 */
export function delegationRefusal(
  run: Run,
  ordinal: number,
  limits: DelegationLimits,
): ErrorValue | undefined {
  if (run.depth >= limits.maxDepth) {
    return {
      code: 'delegation_too_deep',
      message: `cannot delegate: run ${run.id} is at delegation depth ${run.depth} and the limit is ${limits.maxDepth} (an agent that keeps delegating to itself stops here); do the work with your own tools or finish`,
    };
  }
  if (ordinal >= limits.maxChildren) {
    return {
      code: 'too_many_children',
      message: `cannot delegate: one step may start at most ${limits.maxChildren} child runs; this sub-goal was not delegated`,
    };
  }
  return undefined;
}

type Measure = 'maxSteps' | 'maxTokens' | 'maxCostUsd' | 'maxWallMs';

const used: Record<Measure, (usage: Usage) => number> = {
  maxSteps: (usage) => usage.steps,
  maxTokens: (usage) => usage.inputTokens + usage.outputTokens,
  maxCostUsd: (usage) => usage.costUsd,
  maxWallMs: (usage) => usage.wallMs,
};

/**
 * A child's budgets, carved from what its parent has left: for each budget the parent has, the child
 * gets at most an equal share of the remainder among the step's `share` children (whole numbers round
 * down, but never below 1), and less when it asked for less. A budget the parent does not have is the
 * child's own (its agent's default, or what it asked for).
 */
export function carveBudgets(
  parent: Budgets,
  usage: Usage,
  asked: Budgets | undefined,
  share: number,
): Budgets {
  const carved: Budgets = { ...asked };
  for (const measure of Object.keys(used) as Measure[]) {
    const limit = parent[measure];
    if (limit === undefined) continue;
    const remaining = Math.max(limit - used[measure](usage), 0) / Math.max(share, 1);
    const piece = measure === 'maxCostUsd' ? remaining : Math.max(1, Math.floor(remaining));
    const wanted = asked?.[measure];
    carved[measure] = wanted === undefined ? piece : Math.min(wanted, piece);
  }
  return carved;
}

/** The child runs of a delegating step, its `delegate-start` events and its tasks with their ids. */
export interface PlannedChildren {
  tasks: DelegatedTask[];
  children: NewRun[];
  events: EventPayload[];
}

/**
 * Plans the children of a step that delegated `tasks`: each child runs the task's agent (the parent's
 * by default) in the parent's workspace, one level deeper, with budgets carved from the parent's and
 * its first job written with it.
 */
export function planChildren(
  run: Run,
  step: number,
  tasks: readonly DelegatedTask[],
  setting: { usage: Usage; now: number; jobId: (childId: string) => string },
): PlannedChildren {
  const planned: PlannedChildren = { tasks: [], children: [], events: [] };
  for (const [index, task] of tasks.entries()) {
    const id = childRunIdOf(task.callId ?? `${run.id}:${step}:delegate:${index}`);
    const budgets = carveBudgets(run.budgets, setting.usage, task.budgets, tasks.length);
    planned.tasks.push({ ...task, childRunId: id, budgets });
    planned.children.push({
      id,
      orgId: run.orgId,
      agentId: task.agentId ?? run.agentId,
      parentRunId: run.id,
      rootRunId: run.rootRunId,
      depth: run.depth + 1,
      goal: { text: task.goal, ...(task.spec === undefined ? {} : { spec: task.spec }) },
      priority: run.priority,
      budgets,
      workspace: run.workspace,
      now: setting.now,
      enqueue: { jobId: setting.jobId(id) },
    });
    planned.events.push({
      type: 'delegate-start',
      step,
      childRunId: id,
      goal: task.goal,
      agent: task.agent ?? task.agentId ?? run.agentId,
    });
  }
  return planned;
}

/** The outcome of a run's children as its next step records it. */
export interface CollectedChildren {
  /** `delegate-end` and the result of each `delegate` call, in call order. */
  events: EventPayload[];
  /** The children's usage, added to the parent's (their wall time as the longest child's: they ran at once). */
  usage: Usage;
}

const callOrder = (callId: string): [number, number] => {
  const parts = callId.split(':');
  return [Number(parts.at(-2) ?? 0), Number(parts.at(-1) ?? 0)];
};

/**
 * The results of the run's open `delegate` calls: each child's outcome (answer or failure, usage)
 * becomes its call's result, for the brain to act on. `unfinished` when a child has not ended yet
 * (the run must wait again); undefined when the run has no open delegation.
 */
export async function collectChildren(
  runs: RunStore,
  run: Run,
  open: Readonly<Record<string, string>>,
  step: number,
  resultMaxChars: number,
): Promise<CollectedChildren | 'unfinished' | undefined> {
  const calls = Object.entries(open)
    .filter(([, tool]) => tool === delegateToolName)
    .map(([callId]) => callId)
    .sort((a, b) => {
      const [stepA, indexA] = callOrder(a);
      const [stepB, indexB] = callOrder(b);
      return stepA - stepB || indexA - indexB;
    });
  if (calls.length === 0) return undefined;
  const collected: CollectedChildren = { events: [], usage: emptyUsage() };
  /** The `delegate` call's result: what the brain sees of its child. */
  const callEnd = (
    callId: string,
    outcome: { ok: true; result: unknown } | { ok: false; error: ErrorValue },
    latencyMs: number,
  ): EventPayload => ({
    type: 'tool-call-end',
    step,
    callId,
    tool: delegateToolName,
    ...outcome,
    latencyMs,
    fromJournal: false,
  });
  for (const callId of calls) {
    const childRunId = childRunIdOf(callId);
    const child = await runs.get(run.orgId, childRunId);
    if (child === undefined) {
      const message =
        'the child run for this delegation was never created (its step was interrupted); delegate again if it is still needed';
      collected.events.push(callEnd(callId, { ok: false, error: { code: 'child_missing', message } }, 0));
      continue;
    }
    if (!isTerminal(child.status)) return 'unfinished';
    addChildUsage(collected.usage, child.usage);
    const answer = child.answer ?? undefined;
    collected.events.push({
      type: 'delegate-end',
      step,
      childRunId,
      status: child.status,
      ...(answer === undefined ? {} : { answer }),
    });
    const latencyMs = Math.max(0, (child.endedAt ?? child.updatedAt) - child.createdAt);
    const outcome = { childRunId, status: child.status, answer: child.answer, usage: child.usage };
    const failure = `child run ${childRunId} ended ${child.status}${child.reason ? `: ${child.reason}` : ''}`;
    collected.events.push(
      callEnd(
        callId,
        child.status === 'succeeded'
          ? { ok: true, result: boundValue(outcome, resultMaxChars) }
          : {
              ok: false,
              error: { code: `child_${child.status}`, message: failure.slice(0, resultMaxChars) },
            },
        latencyMs,
      ),
    );
  }
  return collected;
}

function addChildUsage(total: Usage, child: Usage): void {
  total.steps += child.steps;
  total.inputTokens += child.inputTokens;
  total.outputTokens += child.outputTokens;
  total.costUsd += child.costUsd;
  total.modelCalls += child.modelCalls;
  total.toolCalls += child.toolCalls;
  total.wallMs = Math.max(total.wallMs, child.wallMs);
}

/** `a + b`, measure by measure. */
export function addUsage(a: Usage, b: Usage): Usage {
  return {
    steps: a.steps + b.steps,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costUsd: a.costUsd + b.costUsd,
    modelCalls: a.modelCalls + b.modelCalls,
    toolCalls: a.toolCalls + b.toolCalls,
    wallMs: a.wallMs + b.wallMs,
  };
}
