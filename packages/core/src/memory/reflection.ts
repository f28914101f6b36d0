import type { ActionStats } from '../ports/learning-store.ts';
import type { EventPayload, TerminalStatus } from '../protocol/index.ts';
import { goalSignature } from '../goals/goal-signature.ts';

/** A lesson drawn from outcome statistics. */
export interface Lesson {
  text: string;
  tool: string;
  calls: number;
  failures: number;
  /** A tool that did the job more reliably, when one is known. */
  prefer?: string;
}

interface Tally {
  calls: number;
  failures: number;
  codes: Map<string, number>;
}

function tallyCalls(events: readonly EventPayload[], history: readonly ActionStats[]): Map<string, Tally> {
  const tallies = new Map<string, Tally>();
  const tallyOf = (tool: string): Tally => {
    const found = tallies.get(tool) ?? { calls: 0, failures: 0, codes: new Map<string, number>() };
    tallies.set(tool, found);
    return found;
  };
  for (const row of history) {
    const tally = tallyOf(row.action);
    tally.calls += row.trials;
    tally.failures += row.trials - Math.min(row.successes, row.trials);
  }
  for (const event of events) {
    if (event.type !== 'tool-call-end' || event.fromJournal) continue;
    const tally = tallyOf(event.tool);
    tally.calls++;
    if (!event.ok) {
      tally.failures++;
      const code = event.error?.code ?? 'error';
      tally.codes.set(code, (tally.codes.get(code) ?? 0) + 1);
    }
  }
  return tallies;
}

/**
 * Lessons from a finished run's events, optionally with earlier statistics for the same kind of
 * goal: every tool that failed at least half of at least `minCalls` calls gets a lesson, naming a
 * reliable alternative (≥ 80% success) when one was used, e.g. `tool web_search_a failed 3 of 4
 * times on goals like "<path> analyz report sourc tre writ"; prefer web_search_b (5 of 5 succeeded)`.
 */
export function deriveLessons(
  events: readonly EventPayload[],
  options: { goalText: string; history?: readonly ActionStats[]; minCalls?: number },
): Lesson[] {
  const tallies = tallyCalls(events, options.history ?? []);
  const minCalls = options.minCalls ?? 2;
  const signature = goalSignature(options.goalText);
  const reliable = [...tallies.entries()]
    .filter(([, tally]) => tally.calls > 0 && (tally.calls - tally.failures) / tally.calls >= 0.8)
    .sort(
      ([nameA, a], [nameB, b]) => b.calls - b.failures - (a.calls - a.failures) || (nameA < nameB ? -1 : 1),
    );
  const lessons: Lesson[] = [];
  for (const [tool, tally] of [...tallies.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (tally.calls < minCalls || tally.failures * 2 < tally.calls) continue;
    const alternative = reliable.find(([name]) => name !== tool);
    const codes = [...tally.codes.entries()].map(([code, count]) => `${code}×${count}`).join(', ');
    let text = `tool ${tool} failed ${tally.failures} of ${tally.calls} times on goals like "${signature}"`;
    if (alternative) {
      const [name, stats] = alternative;
      text += `; prefer ${name} (${stats.calls - stats.failures} of ${stats.calls} succeeded)`;
    } else if (codes) {
      text += `; errors: ${codes}`;
    }
    lessons.push({
      text,
      tool,
      calls: tally.calls,
      failures: tally.failures,
      ...(alternative ? { prefer: alternative[0] } : {}),
    });
  }
  return lessons;
}

/** The plan of a run: its last `plan-update`, else the tools it called, in order. */
export function planOf(events: readonly EventPayload[]): string[] {
  const updates = events.filter((event) => event.type === 'plan-update');
  const last = updates.at(-1);
  if (last) return [...last.plan];
  return events.flatMap((event) => (event.type === 'tool-call-start' ? [event.tool] : []));
}

/** The text of an episodic memory: goal, plan, what happened, outcome and lessons. */
export function episodeText(input: {
  goal: string;
  events: readonly EventPayload[];
  lessons?: readonly Lesson[];
}): string {
  const calls = input.events.flatMap((event) =>
    event.type === 'tool-call-end'
      ? [`${event.tool} ${event.ok ? 'ok' : `failed (${event.error?.code ?? 'error'})`}`]
      : [],
  );
  const end = input.events.find((event) => event.type === 'run-end');
  const outcome = end
    ? `${end.status}${end.answer ? `: ${end.answer}` : end.reason ? `: ${end.reason}` : ''}`
    : 'unfinished';
  const lines = [`Goal: ${input.goal}`, `Plan: ${planOf(input.events).join(' → ') || '(none)'}`];
  if (calls.length > 0) lines.push(`Steps: ${calls.join('; ')}`);
  lines.push(`Outcome: ${outcome}`);
  if (input.lessons && input.lessons.length > 0)
    lines.push(`Lessons: ${input.lessons.map((lesson) => lesson.text).join(' | ')}`);
  return lines.join('\n');
}

/**
 * How important a run's episode is, in [0, 1]: failures and runs that needed a human teach more
 * than routine successes; cancellations teach little. Each lesson adds 0.05 (up to 1).
 */
export function importanceOf(outcome: {
  status: TerminalStatus;
  lessons?: number;
  failedCalls?: number;
}): number {
  const base: Record<TerminalStatus, number> = {
    succeeded: 0.5,
    failed: 0.8,
    needs_review: 0.75,
    budget_exceeded: 0.7,
    cancelled: 0.2,
  };
  const bonus = 0.05 * (outcome.lessons ?? 0) + 0.02 * (outcome.failedCalls ?? 0);
  return Math.min(1, base[outcome.status] + bonus);
}
