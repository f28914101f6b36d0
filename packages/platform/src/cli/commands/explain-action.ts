import type {
  DecisionOption,
  RecalledMemory,
  Run,
  RunEvent,
  RunStore,
  StepOutcome,
  Usage,
} from '@autonoma/core';
import { readRunLog } from '@autonoma/core';
import type { Command } from 'commander';
import { withApp } from '../app-context.ts';
import { processOutput } from '../output.ts';
import { formatUsage } from '../progress.ts';

/** A decision as explained: what was decided, the options with their scores, the choice and why. */
export interface ExplainedDecision {
  about: string;
  chosen: string | null;
  reason: string;
  options: DecisionOption[];
}

/** A tool call as explained: what was asked and how it ended. */
export interface ExplainedCall {
  callId: string;
  tool: string;
  args: unknown;
  ok: boolean | null;
  result?: unknown;
  error?: { code: string; message: string };
  latencyMs?: number;
  fromJournal?: boolean;
}

/** One step of a run, as explained. */
export interface ExplainedStep {
  step: number;
  recalled: { query: string; items: RecalledMemory[] }[];
  plans: { plan: string[]; reused: boolean; expansions: number | null; reason: string }[];
  decisions: ExplainedDecision[];
  calls: ExplainedCall[];
  approvals: { callId: string; tool: string; reason: string }[];
  errors: { code: string; message: string }[];
  outcome: StepOutcome | null;
}

/** The decision trace of a run: per step, and what it learned. */
export interface RunExplanation {
  run: {
    id: string;
    status: string;
    goal: string;
    answer: string | null;
    reason: string | null;
    usage: Usage;
  };
  steps: ExplainedStep[];
  lessons: string[];
  memories: { id: string; kind: string; importance: number; text: string }[];
  summary: {
    steps: number;
    toolCalls: number;
    failedCalls: number;
    planReused: boolean;
    replans: number;
    expansions: number;
    recalled: number;
  };
}

/** Every stored event of a run, in `seq` order (the store answers in pages). */
export async function readAllEvents(runs: RunStore, run: { orgId: string; id: string }): Promise<RunEvent[]> {
  return readRunLog(runs, run);
}

const emptyStep = (step: number): ExplainedStep => ({
  step,
  recalled: [],
  plans: [],
  decisions: [],
  calls: [],
  approvals: [],
  errors: [],
  outcome: null,
});

/** Builds the decision trace of a run from its stored events. Pure; the CLI renders it. */
export function explainRun(run: Run, events: readonly RunEvent[]): RunExplanation {
  const steps = new Map<number, ExplainedStep>();
  const stepOf = (step: number): ExplainedStep => {
    let found = steps.get(step);
    if (!found) {
      found = emptyStep(step);
      steps.set(step, found);
    }
    return found;
  };
  const lessons: string[] = [];
  const memories: RunExplanation['memories'] = [];
  let current = 0;
  for (const event of events) {
    switch (event.type) {
      case 'step-start':
        current = event.step;
        stepOf(event.step);
        break;
      case 'memory-recall':
        stepOf(event.step).recalled.push({ query: event.query, items: event.items });
        break;
      case 'plan-update':
        stepOf(event.step).plans.push({
          plan: event.plan,
          reused: event.reused,
          expansions: event.expansions ?? null,
          reason: event.reason,
        });
        break;
      case 'decision':
        stepOf(event.step).decisions.push({
          about: event.about,
          chosen: event.chosen,
          reason: event.reason,
          options: event.options,
        });
        break;
      case 'tool-call-start':
        stepOf(event.step).calls.push({ callId: event.callId, tool: event.tool, args: event.args, ok: null });
        break;
      case 'tool-call-end': {
        const step = stepOf(event.step);
        let call = step.calls.find((candidate) => candidate.callId === event.callId && candidate.ok === null);
        if (!call) {
          call = { callId: event.callId, tool: event.tool, args: undefined, ok: null };
          step.calls.push(call);
        }
        Object.assign(call, {
          ok: event.ok,
          latencyMs: event.latencyMs,
          fromJournal: event.fromJournal,
          ...(event.ok ? { result: event.result } : {}),
          ...(event.error ? { error: event.error } : {}),
        });
        break;
      }
      case 'approval-request':
        stepOf(event.step).approvals.push({ callId: event.callId, tool: event.tool, reason: event.reason });
        break;
      case 'error':
        stepOf(event.step ?? current).errors.push({ code: event.code, message: event.message });
        break;
      case 'step-end':
        stepOf(event.step).outcome = event.outcome;
        break;
      case 'lesson-learned':
        lessons.push(event.lesson);
        break;
      case 'memory-write':
        memories.push({
          id: event.memoryId,
          kind: event.kind,
          importance: event.importance,
          text: event.text,
        });
        break;
      default:
        break;
    }
  }
  const ordered = [...steps.values()].sort((a, b) => a.step - b.step);
  const calls = ordered.flatMap((step) => step.calls);
  const plans = ordered.flatMap((step) => step.plans);
  return {
    run: {
      id: run.id,
      status: run.status,
      goal: run.goal.text,
      answer: run.answer,
      reason: run.reason,
      usage: run.usage,
    },
    steps: ordered,
    lessons,
    memories,
    summary: {
      steps: run.usage.steps,
      toolCalls: calls.length,
      failedCalls: calls.filter((call) => call.ok === false).length,
      planReused: plans.some((plan) => plan.reused),
      replans: plans.filter((plan) => plan.reason.startsWith('replanned')).length,
      expansions: plans.reduce((sum, plan) => sum + (plan.expansions ?? 0), 0),
      recalled: ordered.reduce(
        (sum, step) => sum + step.recalled.reduce((count, recall) => count + recall.items.length, 0),
        0,
      ),
    },
  };
}

const clip = (value: unknown, max: number): string => {
  const text = (typeof value === 'string' ? value : (JSON.stringify(value) ?? '')).replace(
    /\s*\n\s*/g,
    ' · ',
  );
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
};
/** A tool result's own `summary` line when it has one, else the result. */
const resultSummary = (result: unknown): unknown =>
  result !== null &&
  typeof result === 'object' &&
  typeof (result as Record<string, unknown>)['summary'] === 'string'
    ? (result as Record<string, unknown>)['summary']
    : result;
const score = (value: number | null): string => (value === null ? '—' : value.toFixed(2));

function detailText(detail: Record<string, unknown> | undefined): string {
  if (!detail) return '';
  const parts = Object.entries(detail).map(
    ([key, value]) => `${key} ${typeof value === 'number' ? Number(value.toFixed(3)) : clip(value, 30)}`,
  );
  return parts.length > 0 ? `  (${parts.join(', ')})` : '';
}

function outcomeText(outcome: StepOutcome): string {
  if (outcome.kind === 'final')
    return `final ${outcome.status}${outcome.reason && outcome.status !== 'succeeded' ? ` — ${clip(outcome.reason, 100)}` : ''}`;
  if (outcome.kind === 'interrupt')
    return `interrupt (${outcome.on}${outcome.callId ? ` ${outcome.callId}` : ''})`;
  return outcome.kind;
}

/** Renders an explanation as readable lines. */
export function renderExplanation(explanation: RunExplanation): string[] {
  const { run, summary } = explanation;
  const lines = [
    `run ${run.id} · ${run.status} · ${formatUsage(run.usage)}`,
    `goal: ${run.goal}`,
    `summary: ${summary.steps} steps, ${summary.toolCalls} tool calls (${summary.failedCalls} failed), plan ${summary.planReused ? 'reused' : 'not reused'}, ${summary.replans} replan(s), ${summary.expansions} planner expansions, ${summary.recalled} memories recalled`,
  ];
  for (const step of explanation.steps) {
    lines.push(`step ${step.step}`);
    for (const recall of step.recalled) {
      lines.push(`  recalled ${recall.items.length} memories for "${clip(recall.query, 60)}"`);
      for (const item of recall.items)
        lines.push(
          `    ${item.score.toFixed(3)} = relevance ${item.relevance.toFixed(2)} · recency ${item.recency.toFixed(2)} · importance ${item.importance.toFixed(2)}  [${item.kind}] ${clip(item.text, 70)}`,
        );
    }
    for (const plan of step.plans)
      lines.push(
        `  plan${plan.reused ? ' (reused)' : ''}: ${plan.plan.join(' → ') || '(empty)'}${plan.expansions === null ? '' : ` [${plan.expansions} expansions]`}`,
        `    why: ${clip(plan.reason, 160)}`,
      );
    for (const decision of step.decisions) {
      lines.push(
        `  decide ${decision.about}: chose ${decision.chosen ?? 'none'}`,
        `    why: ${decision.reason}`,
      );
      for (const option of decision.options)
        lines.push(
          `    ${option.id === decision.chosen || option.label === decision.chosen ? '*' : '·'} ${option.label}  score ${score(option.score)}${detailText(option.detail)}`,
        );
    }
    for (const call of step.calls) {
      const end =
        call.ok === null
          ? 'no result recorded'
          : call.ok
            ? `ok${call.fromJournal ? ' (from journal)' : ''} ${clip(resultSummary(call.result), 90)}`
            : `error ${call.error?.code ?? ''}: ${clip(call.error?.message ?? '', 110)}`;
      lines.push(`  call ${call.tool} ${clip(call.args, 70)} → ${end}`);
    }
    for (const approval of step.approvals)
      lines.push(`  approval requested for ${approval.tool} (${approval.callId}): ${approval.reason}`);
    for (const error of step.errors) lines.push(`  error ${error.code}: ${clip(error.message, 120)}`);
    if (step.outcome) lines.push(`  outcome: ${outcomeText(step.outcome)}`);
  }
  if (explanation.lessons.length > 0) {
    lines.push('lessons learned:');
    for (const lesson of explanation.lessons) lines.push(`  - ${lesson}`);
  }
  if (explanation.memories.length > 0) {
    lines.push('memories written:');
    for (const memory of explanation.memories)
      lines.push(
        `  - ${memory.id} [${memory.kind}, importance ${memory.importance.toFixed(2)}] ${clip(memory.text, 90)}`,
      );
  }
  if (run.answer) lines.push(`answer: ${clip(run.answer, 400)}`);
  return lines;
}

/** `autonoma explain <runId> [--json]`: prints the decision trace of a run. */
export async function printExplanation(
  runId: string,
  flags: { json?: boolean },
  command: Command,
): Promise<void> {
  await withApp(command, async (app) => {
    const run = await app.runs.get(runId);
    const explanation = explainRun(run, await readAllEvents(app.database.stores.runs, run));
    if (flags.json) processOutput.out(JSON.stringify(explanation));
    else for (const line of renderExplanation(explanation)) processOutput.out(line);
  });
}
