import { isControlResult } from '../agent/control.ts';
import type { RunEvent } from '../protocol/events.ts';
import type { Run } from '../protocol/run.ts';
import type { ExplainedDelegation, ExplainedStep, Explanation, ExplanationSummary } from './explanation.ts';

const emptyStep = (step: number): ExplainedStep => ({
  step,
  recalled: [],
  plans: [],
  decisions: [],
  calls: [],
  approvals: [],
  errors: [],
  outcome: null,
  delegations: [],
  budgetWarnings: [],
});

/**
 * Builds the decision trace of a run from its stored events (in `seq` order). Pure: reads nothing,
 * writes nothing; every interface renders the result its own way.
 */
export function explainRun(run: Run, events: readonly RunEvent[]): Explanation {
  const steps = new Map<number, ExplainedStep>();
  const stepOf = (step: number): ExplainedStep => {
    let found = steps.get(step);
    if (!found) {
      found = emptyStep(step);
      steps.set(step, found);
    }
    return found;
  };
  const delegations = new Map<string, ExplainedDelegation>();
  const lessons: string[] = [];
  const memories: Explanation['memories'] = [];
  // Events without a step of their own (errors, budget warnings) belong to the step in progress.
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
          ...(event.choices ? { choices: event.choices } : {}),
          ...(event.scoring !== undefined ? { scoring: event.scoring } : {}),
          ...(event.reasonSource ? { reasonSource: event.reasonSource } : {}),
        });
        break;
      case 'tool-call-start':
        stepOf(event.step).calls.push({ callId: event.callId, tool: event.tool, args: event.args, ok: null });
        break;
      case 'tool-call-end': {
        // A call that handed control back (a delegation, a question) gets its real result in a later
        // step: it is shown where it was made.
        let call =
          stepOf(event.step).calls.find(
            (candidate) => candidate.callId === event.callId && candidate.ok === null,
          ) ??
          [...steps.values()]
            .flatMap((step) => step.calls)
            .find((candidate) => candidate.callId === event.callId && isControlResult(candidate.result));
        if (!call) {
          call = { callId: event.callId, tool: event.tool, ok: null };
          stepOf(event.step).calls.push(call);
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
      case 'delegate-start': {
        const delegation = {
          childRunId: event.childRunId,
          goal: event.goal,
          agent: event.agent,
          status: null,
        };
        delegations.set(event.childRunId, delegation);
        stepOf(event.step).delegations.push(delegation);
        break;
      }
      case 'delegate-end': {
        let delegation = delegations.get(event.childRunId);
        if (!delegation) {
          // The log shows the child's end but not its start: keep what is known.
          delegation = { childRunId: event.childRunId, goal: '', agent: '', status: null };
          delegations.set(event.childRunId, delegation);
          stepOf(event.step).delegations.push(delegation);
        }
        delegation.status = event.status;
        if (event.answer !== undefined) delegation.answer = event.answer;
        break;
      }
      case 'budget-warning':
        stepOf(current).budgetWarnings.push({ budget: event.budget, used: event.used, limit: event.limit });
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
    summary: summarize(run, ordered),
    children: [],
  };
}

/** Counts over the explained steps; `steps` is the run's own count (a resumed step is one step). */
function summarize(run: Run, steps: readonly ExplainedStep[]): ExplanationSummary {
  const calls = steps.flatMap((step) => step.calls);
  const plans = steps.flatMap((step) => step.plans);
  return {
    steps: run.usage.steps,
    toolCalls: calls.length,
    failedCalls: calls.filter((call) => call.ok === false).length,
    planReused: plans.some((plan) => plan.reused),
    replans: plans.filter((plan) => plan.reason.startsWith('replanned')).length,
    expansions: plans.reduce((sum, plan) => sum + (plan.expansions ?? 0), 0),
    recalled: steps.reduce(
      (sum, step) => sum + step.recalled.reduce((count, recall) => count + recall.items.length, 0),
      0,
    ),
  };
}
