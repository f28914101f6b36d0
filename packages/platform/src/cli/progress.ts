import type { RunEvent, Usage } from '@autonoma/core';
import { controlOf } from '@autonoma/core';
import type { Output } from './output.ts';

const short = (value: unknown, max = 80): string => {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
};

/** Formats a usage summary: steps, tool calls, tokens, cost. */
export function formatUsage(usage: Usage): string {
  const tokens = usage.inputTokens + usage.outputTokens;
  return `${usage.steps} steps · ${usage.toolCalls} tool calls · ${tokens} tokens · $${usage.costUsd.toFixed(4)}`;
}

/** One readable line for an event, or undefined for events not worth a line. */
export function describeEvent(event: RunEvent): string | undefined {
  switch (event.type) {
    case 'run-start':
      return `${event.resumed ? 'resumed' : 'started'} · agent ${event.agent} · brain ${event.brain}`;
    case 'step-start':
      return `step ${event.step}`;
    case 'plan-update':
      return `  plan${event.reused ? ' (reused)' : ''}: ${event.plan.join(' → ') || '(empty)'} — ${event.reason}${event.expansions !== undefined ? ` [${event.expansions} expansions]` : ''}`;
    case 'decision':
      // A model's words can run long: one bounded line.
      return `  decide ${event.about}: ${(event.choices ?? [event.chosen ?? '-']).join(', ')} — ${
        event.reasonSource === 'model' ? short(event.reason.replace(/\s+/g, ' '), 120) : event.reason
      }`;
    case 'model-call-end':
      return event.error
        ? `  model ${event.model} failed: ${event.error.message}`
        : `  model ${event.model}: ${event.usage.inputTokens}+${event.usage.outputTokens} tokens, $${event.costUsd.toFixed(4)}, ${Math.round(event.latencyMs)} ms`;
    case 'tool-call-start':
      return `  → ${event.tool} ${short(event.args)}`;
    case 'tool-call-end': {
      const control = event.ok ? controlOf(event.result) : undefined;
      // A call that handed control back: its outcome comes later (the children's, the user's answer).
      if (control?.kind === 'delegate') return undefined;
      if (control?.kind === 'ask') return `  ? ${control.question}`;
      return event.ok
        ? `  ← ${event.tool} ok${event.fromJournal ? ' (from journal)' : ''} ${short(event.result, 100)}`
        : `  ← ${event.tool} error ${event.error?.code ?? ''}: ${short(event.error?.message ?? '', 120)}`;
    }
    case 'delegate-start':
      return `  ⇉ delegated to ${event.agent}: ${short(event.goal, 60)} (run ${event.childRunId})`;
    case 'delegate-end':
      return `  ⇇ run ${event.childRunId} ${event.status}${event.answer ? `: ${short(event.answer, 80)}` : ''}`;
    case 'approval-request':
      return `  ⏸ approval needed for ${event.tool} (${event.callId}): ${event.reason}`;
    case 'approval-resolve':
      return `  approval ${event.approved ? 'granted' : 'denied'} for ${event.callId}${event.reason ? `: ${event.reason}` : ''}`;
    case 'memory-recall':
      return `  recalled ${event.items.length} memories for "${short(event.query, 40)}"`;
    case 'memory-write':
      return `  remembered (${event.kind}): ${short(event.text.replace(/\s*\n\s*/g, ' · '), 100)}`;
    case 'lesson-learned':
      return `  lesson: ${event.lesson}`;
    case 'budget-warning':
      return `  budget warning: ${event.budget} at ${event.used} of ${event.limit}`;
    case 'error':
      return `  error ${event.code}: ${event.message}`;
    case 'run-end':
      return `${event.status} · ${formatUsage(event.usage)}${event.reason && event.status !== 'succeeded' ? ` · ${event.reason}` : ''}`;
    default:
      return undefined;
  }
}

/**
 * Renders a run's events as they arrive: readable lines, plus on a terminal a live status line with
 * step, tool calls, tokens and cost.
 */
export function createProgress(output: Output): { sink: (event: RunEvent) => void; done: () => void } {
  /** The run being followed (the first seen); the runs it delegated to are shown indented, by id. */
  let root: string | undefined;
  let step = 0;
  let toolCalls = 0;
  let tokens = 0;
  let cost = 0;
  let streaming = false;
  const status = (): string =>
    `\r\x1b[2K[step ${step} · ${toolCalls} tool calls · ${tokens} tokens · $${cost.toFixed(4)}]`;
  const clearStatus = (): void => {
    if (output.tty) process.stderr.write('\r\x1b[2K');
  };
  return {
    sink(event) {
      if (event.type === 'text-delta') {
        if (output.tty) {
          if (!streaming) clearStatus();
          streaming = true;
          process.stderr.write(event.delta);
        }
        return;
      }
      if (streaming) {
        process.stderr.write('\n');
        streaming = false;
      }
      root ??= event.runId;
      const child = event.runId !== root;
      if (event.type === 'step-start' && !child) step = event.step;
      if (event.type === 'tool-call-end') toolCalls += 1;
      if (event.type === 'model-call-end') {
        tokens += event.usage.inputTokens + event.usage.outputTokens;
        cost += event.costUsd;
      }
      const line = describeEvent(event);
      if (line === undefined) return;
      clearStatus();
      output.err(child ? `    │ ${event.runId.slice(-8)} ${line}` : line);
      if (output.tty) process.stderr.write(status());
    },
    done() {
      clearStatus();
    },
  };
}
