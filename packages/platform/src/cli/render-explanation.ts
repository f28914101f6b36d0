import type { Explanation, StepOutcome } from '@autonoma/core';
import { formatUsage } from './progress.ts';

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
/** Text with its control characters (a terminal's escape sequences) shown as spaces. */
const printable = (text: string): string =>
  Array.from(text, (char) => (char < ' ' || char === '\u007f' ? ' ' : char)).join('');
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

/** Renders an explanation as readable terminal lines (`autonoma explain`). */
export function renderExplanation(explanation: Explanation): string[] {
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
      const chosen = decision.choices ?? (decision.chosen === null ? [] : [decision.chosen]);
      lines.push(
        `  decide ${decision.about}: chose ${chosen.join(', ') || 'none'}`,
        // The model's own words are untrusted: one line, bounded, control characters shown as spaces.
        decision.reasonSource === 'model'
          ? `    why (the model's words): ${clip(printable(decision.reason), 400)}`
          : `    why: ${decision.reason}`,
      );
      if (decision.scoring) lines.push(`    ${decision.scoring}`);
      for (const option of decision.options)
        lines.push(
          `    ${chosen.includes(option.id) || chosen.includes(option.label) ? '*' : '·'} ${option.label}  score ${score(option.score)}${detailText(option.detail)}`,
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
    for (const delegation of step.delegations) {
      lines.push(
        `  delegated to ${delegation.agent} (run ${delegation.childRunId}): ${clip(delegation.goal, 80)} → ${delegation.status ?? 'running'}`,
      );
      // The child's own decisions, under the step that delegated to it.
      const child = explanation.children.find((candidate) => candidate.run.id === delegation.childRunId);
      if (child) for (const line of renderExplanation(child)) lines.push(`    │ ${line}`);
    }
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
